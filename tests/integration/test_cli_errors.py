"""Bad input: one clear message, a non-zero exit, no traceback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cli_runs import alignlab, alignlab_eval

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ethics_public"


def _assert_clean_failure(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in output, output[-3000:]
    for needle in needles:
        assert needle in output, output[-3000:]


def test_unknown_task(tmp_path: Path) -> None:
    proc = alignlab_eval("ethics_nonsense", tmp_path)
    _assert_clean_failure(proc, "Unknown task 'ethics_nonsense'", "ethics_commonsense")


def test_unknown_suite(tmp_path: Path) -> None:
    proc = alignlab("eval", "--suite", "everything", "--log-dir", str(tmp_path))
    _assert_clean_failure(proc, "Unknown suite 'everything'", "quick")


def test_unknown_alignlab_model(tmp_path: Path) -> None:
    proc = alignlab_eval("ethics_justice", tmp_path, "--model", "alignlab/nope")
    _assert_clean_failure(proc, "Unknown alignlab model 'nope'")


def test_unknown_provider(tmp_path: Path) -> None:
    proc = alignlab_eval("ethics_justice", tmp_path, "--model", "nosuchprovider/x")
    _assert_clean_failure(proc, "Cannot use model 'nosuchprovider/x'")


def test_unreachable_server(tmp_path: Path) -> None:
    proc = alignlab_eval(
        "ethics_justice",
        tmp_path,
        "--model",
        "openai-api/local/m",
        "--model-base-url",
        "http://127.0.0.1:9/v1",
    )
    _assert_clean_failure(proc, "Cannot reach the model server at http://127.0.0.1:9/v1")


def test_malformed_dataset_names_file_line_and_field(tmp_path: Path) -> None:
    data = tmp_path / "ethics"
    shutil.copytree(FIXTURE, data)
    path = data / "justice" / "justice_test.csv"
    lines = path.read_text().splitlines()
    lines[3] = "maybe," + lines[3].split(",", 1)[1]  # line 4 of the file
    path.write_text("\n".join(lines) + "\n")
    proc = alignlab_eval("ethics_justice", tmp_path / "logs", "--data-dir", str(data))
    _assert_clean_failure(proc, "justice_test.csv, line 4, field 'label'", "got 'maybe'")


def test_missing_dataset_file(tmp_path: Path) -> None:
    proc = alignlab_eval("ethics_virtue", tmp_path / "logs", "--data-dir", str(tmp_path))
    _assert_clean_failure(proc, "virtue_test.csv", "file not found")


def test_report_on_empty_dir(tmp_path: Path) -> None:
    proc = alignlab("report", str(tmp_path), "-o", str(tmp_path / "r.html"))
    _assert_clean_failure(proc, "No Inspect logs")


@pytest.mark.parametrize("bad", ["-Tvariant", "-Mn_ctx"])
def test_bad_key_value(tmp_path: Path, bad: str) -> None:
    proc = alignlab_eval("ethics_justice", tmp_path, bad)
    _assert_clean_failure(proc, "expects key=value")


def test_malformed_intervention_fails_before_running(tmp_path: Path) -> None:
    proc = alignlab_eval("ethics_justice", tmp_path, "--intervention", "principles:oops")
    _assert_clean_failure(proc, "expected key=value", "principles:oops")
    assert proc.returncode == 2
    assert not list(tmp_path.glob("*.eval"))


def test_unknown_inspect_evals_task(tmp_path: Path) -> None:
    proc = alignlab_eval("inspect_evals/no_such_eval", tmp_path)
    _assert_clean_failure(proc, "Unknown task 'inspect_evals/no_such_eval'")
