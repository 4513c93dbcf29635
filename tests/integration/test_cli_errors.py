"""Bad input: one clear message, a non-zero exit, no traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ethics_public"


def _alignlab(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alignlab.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _assert_clean_failure(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in output, output[-3000:]
    for needle in needles:
        assert needle in output, output[-3000:]


def test_unknown_task(tmp_path: Path) -> None:
    proc = _alignlab("eval", "--task", "ethics_nonsense", "--log-dir", str(tmp_path))
    _assert_clean_failure(proc, "Unknown task 'ethics_nonsense'", "ethics_commonsense")


def test_unknown_suite(tmp_path: Path) -> None:
    proc = _alignlab("eval", "--suite", "everything", "--log-dir", str(tmp_path))
    _assert_clean_failure(proc, "Unknown suite 'everything'", "quick")


def test_unknown_alignlab_model(tmp_path: Path) -> None:
    proc = _alignlab(
        "eval", "--task", "ethics_justice", "--model", "alignlab/nope", "--log-dir", str(tmp_path)
    )
    _assert_clean_failure(proc, "Unknown alignlab model 'nope'")


def test_unknown_provider(tmp_path: Path) -> None:
    proc = _alignlab(
        "eval",
        "--task",
        "ethics_justice",
        "--model",
        "nosuchprovider/x",
        "--log-dir",
        str(tmp_path),
    )
    _assert_clean_failure(proc, "Cannot use model 'nosuchprovider/x'")


def test_unreachable_server(tmp_path: Path) -> None:
    proc = _alignlab(
        "eval",
        "--task",
        "ethics_justice",
        "--model",
        "openai-api/local/m",
        "--model-base-url",
        "http://127.0.0.1:9/v1",
        "--log-dir",
        str(tmp_path),
    )
    _assert_clean_failure(proc, "Cannot reach the model server at http://127.0.0.1:9/v1")


def test_malformed_dataset_names_file_line_and_field(tmp_path: Path) -> None:
    data = tmp_path / "ethics"
    shutil.copytree(FIXTURE, data)
    path = data / "justice" / "justice_test.csv"
    lines = path.read_text().splitlines()
    lines[3] = "maybe," + lines[3].split(",", 1)[1]  # line 4 of the file
    path.write_text("\n".join(lines) + "\n")
    proc = _alignlab(
        "eval",
        "--task",
        "ethics_justice",
        "--data-dir",
        str(data),
        "--log-dir",
        str(tmp_path / "logs"),
    )
    _assert_clean_failure(proc, "justice_test.csv, line 4, field 'label'", "got 'maybe'")


def test_missing_dataset_file(tmp_path: Path) -> None:
    proc = _alignlab(
        "eval",
        "--task",
        "ethics_virtue",
        "--data-dir",
        str(tmp_path),
        "--log-dir",
        str(tmp_path / "logs"),
    )
    _assert_clean_failure(proc, "virtue_test.csv", "file not found")


def test_report_on_empty_dir(tmp_path: Path) -> None:
    proc = _alignlab("report", str(tmp_path), "-o", str(tmp_path / "r.html"))
    _assert_clean_failure(proc, "No Inspect logs")


@pytest.mark.parametrize("bad", ["-Tvariant", "-Mn_ctx"])
def test_bad_key_value(tmp_path: Path, bad: str) -> None:
    proc = _alignlab("eval", "--task", "ethics_justice", bad, "--log-dir", str(tmp_path))
    _assert_clean_failure(proc, "expects key=value")


def test_malformed_intervention_fails_before_running(tmp_path: Path) -> None:
    proc = _alignlab(
        "eval",
        "--task",
        "ethics_justice",
        "--intervention",
        "principles:oops",
        "--log-dir",
        str(tmp_path),
    )
    _assert_clean_failure(proc, "expected key=value", "principles:oops")
    assert proc.returncode == 2
    assert not list(tmp_path.glob("*.eval"))


def test_unknown_inspect_evals_task(tmp_path: Path) -> None:
    proc = _alignlab("eval", "--task", "inspect_evals/no_such_eval", "--log-dir", str(tmp_path))
    _assert_clean_failure(proc, "Unknown task 'inspect_evals/no_such_eval'")
