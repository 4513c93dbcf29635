"""The fast path for re-running a finished run: keys, records, and the CLI that uses them."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alignlab import runcache
from alignlab.runcache import Request, lookup, request_key, store
from fake_runner import FakeRunner, install

EVAL = "2026-01-01T00-00-00-00-00_ethics-commonsense_abc.eval"


def _request(log_dir: Path | None, **changes: Any) -> Request:
    base = Request(
        model=None,
        suite=None,
        tasks=("ethics_commonsense",),
        log_dir=log_dir,
        limit=20,
        seed=None,
        task_args={},
        model_args={},
        base_url=None,
        max_samples=None,
        report=False,
    )
    return replace(base, **changes)


def _bump(path: Path) -> None:
    """Change a file's mtime without changing its size (a rewrite in place)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def _fake_logs(log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / EVAL).write_bytes(b"log")
    (log_dir / "eval-set.json").write_text("{}")


# --- keys -----------------------------------------------------------------


def test_same_request_same_key(tmp_path: Path) -> None:
    assert request_key(_request(tmp_path)) == request_key(_request(tmp_path))


def test_default_model_and_explicit_default_are_one_request(tmp_path: Path) -> None:
    explicit = _request(tmp_path, model="alignlab/smollm2")
    assert request_key(_request(tmp_path)) == request_key(explicit)


@pytest.mark.parametrize(
    "changes",
    [
        {"model": "openai-api/local/m"},
        {"suite": "quick"},
        {"tasks": ("ethics_commonsense", "ethics_justice")},
        {"tasks": ()},
        {"limit": 21},
        {"limit": None},
        {"seed": 1},
        {"task_args": {"variant": "direct"}},
        {"task_args": {"calibration": "contextual"}},
        {"task_args": {"scoring": "generate"}},
        {"task_args": {"data_dir": "hub"}},
        {"task_args": {"shuffle": True}},
        {"model_args": {"n_ctx": 1024}},
        {"base_url": "http://127.0.0.1:8000/v1"},
        {"max_samples": 4},
        {"report": True},
        {"model_roles": {"grader": "alignlab/smollm2"}},
        {"task_args": {"intervention": ["principles"]}},
    ],
    ids=lambda c: "-".join(c),
)
def test_each_option_changes_the_key(tmp_path: Path, changes: dict[str, Any]) -> None:
    assert request_key(_request(tmp_path, **changes)) != request_key(_request(tmp_path))


def test_task_order_is_part_of_the_key(tmp_path: Path) -> None:
    ab = _request(tmp_path, tasks=("ethics_commonsense", "ethics_justice"))
    ba = _request(tmp_path, tasks=("ethics_justice", "ethics_commonsense"))
    assert request_key(ab) != request_key(ba)


def test_intervention_and_its_order_are_part_of_the_key(tmp_path: Path) -> None:
    def key(*specs: str) -> str:
        args = {"intervention": list(specs)} if specs else {}
        return request_key(_request(tmp_path, task_args=args))

    assert len({key(), key("a"), key("a:k=1"), key("a:k=2"), key("a", "b"), key("b", "a")}) == 6


def test_log_dir_is_part_of_the_key(tmp_path: Path) -> None:
    assert request_key(_request(tmp_path / "a")) != request_key(_request(tmp_path / "b"))


def test_default_log_dir_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    request = _request(None, suite="quick")
    assert runcache.default_log_dir("quick") == Path("logs/quick")
    assert runcache.default_log_dir(None) == Path("logs/tasks")
    assert request.resolved_log_dir() == tmp_path.resolve() / "logs" / "quick"
    explicit = _request(tmp_path / "logs" / "quick", suite="quick")
    assert request_key(request) == request_key(explicit)


def test_editing_a_data_file_changes_the_key(tmp_path: Path) -> None:
    data = tmp_path / "ethics" / "commonsense"
    data.mkdir(parents=True)
    csv = data / "cm_test.csv"
    csv.write_text("label,input\n1,a\n")
    request = _request(tmp_path / "logs", task_args={"data_dir": str(tmp_path / "ethics")})
    before = request_key(request)
    _bump(csv)
    touched = request_key(request)
    csv.write_text("label,input\n0,a\n1,b\n")
    edited = request_key(request)
    (data / "extra.csv").write_text("")
    added = request_key(request)
    assert len({before, touched, edited, added}) == 4


def test_relative_data_dir_is_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "one" / "data").mkdir(parents=True)
    (tmp_path / "two" / "data").mkdir(parents=True)
    (tmp_path / "two" / "data" / "f.csv").write_text("x")
    request = _request(tmp_path / "logs", task_args={"data_dir": "data"})
    monkeypatch.chdir(tmp_path / "one")
    one = request_key(request)
    monkeypatch.chdir(tmp_path / "two")
    assert request_key(request) != one


def test_local_gguf_file_is_fingerprinted(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    request = _request(tmp_path / "logs", model=f"alignlab/{gguf}")
    before = request_key(request)
    _bump(gguf)
    assert request_key(request) != before


def test_another_grader_is_another_request(tmp_path: Path) -> None:
    """A run graded by one model must not be replayed for a command naming another."""
    one = _request(tmp_path, model_roles={"grader": "openai-api/local/a"})
    other = _request(tmp_path, model_roles={"grader": "openai-api/local/b"})
    renamed = _request(tmp_path, model_roles={"critic": "openai-api/local/a"})
    assert len({request_key(one), request_key(other), request_key(renamed)}) == 3


def test_role_order_is_not_part_of_the_key(tmp_path: Path) -> None:
    ab = _request(tmp_path, model_roles={"grader": "alignlab/smollm2", "critic": "ollama/m"})
    ba = _request(tmp_path, model_roles={"critic": "ollama/m", "grader": "alignlab/smollm2"})
    assert request_key(ab) == request_key(ba)


def test_local_gguf_role_model_is_fingerprinted(tmp_path: Path) -> None:
    gguf = tmp_path / "grader.gguf"
    gguf.write_bytes(b"GGUF")
    request = _request(tmp_path / "logs", model_roles={"grader": f"alignlab/{gguf}"})
    before = request_key(request)
    _bump(gguf)
    assert request_key(request) != before


def test_package_version_and_source_are_fingerprinted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _request(tmp_path)
    before = request_key(request)
    real = runcache._version
    monkeypatch.setattr(
        runcache, "_version", lambda name: "9.9" if name == "inspect-ai" else real(name)
    )
    assert request_key(request) != before
    monkeypatch.setattr(runcache, "_version", real)
    monkeypatch.setattr(runcache, "_tree_fingerprint", lambda root: [["x.py", 1, 1]])
    assert request_key(request) != before


def test_tree_fingerprint_skips_pycache(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("a")
    (tmp_path / "pkg" / "__pycache__" / "a.pyc").write_text("compiled")
    rows = runcache._tree_fingerprint(tmp_path)
    assert [row[0] for row in rows] == [str(Path("pkg") / "a.py")]


def test_package_tree_is_this_package() -> None:
    rows = runcache._tree_fingerprint(Path(runcache.__file__).parent)
    names = {row[0] for row in rows}
    assert "runcache.py" in names and "cli.py" in names
    assert not any("__pycache__" in name for name in names)


# --- records --------------------------------------------------------------


def test_record_found_after_store(tmp_path: Path) -> None:
    _fake_logs(tmp_path)
    store(tmp_path, "k", ["Logs: x", "Model: m"], None, ["warning: w"])
    record = lookup(tmp_path, "k")
    assert record is not None
    assert record.lines == ["Logs: x", "Model: m"] and record.error_lines == ["warning: w"]
    assert lookup(tmp_path, "other") is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".alignlab")] == [
        runcache.RECORD_FILE
    ]


def test_record_file_is_not_read_as_a_log(tmp_path: Path) -> None:
    # The report reads every *.json and *.eval file in a log directory as a log.
    assert Path(runcache.RECORD_FILE).suffix not in (".json", ".eval")


def test_several_commands_share_a_log_dir(tmp_path: Path) -> None:
    _fake_logs(tmp_path)
    store(tmp_path, "a", ["a"], None)
    store(tmp_path, "b", ["b"], None)
    a, b = lookup(tmp_path, "a"), lookup(tmp_path, "b")
    assert a is not None and a.lines == ["a"]
    assert b is not None and b.lines == ["b"]


def test_stale_records_are_dropped_on_store(tmp_path: Path) -> None:
    _fake_logs(tmp_path)
    store(tmp_path, "a", ["a"], None)
    _bump(tmp_path / EVAL)
    store(tmp_path, "b", ["b"], None)
    assert "a" not in runcache._load(tmp_path)
    assert lookup(tmp_path, "b") is not None


@pytest.mark.parametrize(
    "change",
    ["touch_eval", "rewrite_eval", "delete_eval", "add_eval", "touch_manifest", "delete_manifest"],
)
def test_changed_logs_invalidate_the_record(tmp_path: Path, change: str) -> None:
    _fake_logs(tmp_path)
    store(tmp_path, "k", ["x"], None)
    assert lookup(tmp_path, "k") is not None
    log, manifest = tmp_path / EVAL, tmp_path / "eval-set.json"
    if change == "touch_eval":
        _bump(log)
    elif change == "rewrite_eval":
        log.write_bytes(b"longer log")
    elif change == "delete_eval":
        log.unlink()
    elif change == "add_eval":
        (tmp_path / "2026-01-02T00-00-00-00-00_ethics-justice_def.eval").write_bytes(b"log")
    elif change == "touch_manifest":
        _bump(manifest)
    else:
        manifest.unlink()
    assert lookup(tmp_path, "k") is None


def test_manifest_appearing_invalidates_the_record(tmp_path: Path) -> None:
    _fake_logs(tmp_path)
    (tmp_path / "eval-set.json").unlink()
    store(tmp_path, "k", ["x"], None)
    assert lookup(tmp_path, "k") is not None
    (tmp_path / "eval-set.json").write_text("{}")
    assert lookup(tmp_path, "k") is None


def test_other_files_do_not_matter(tmp_path: Path) -> None:
    _fake_logs(tmp_path)
    store(tmp_path, "k", ["x"], None)
    (tmp_path / "logs.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    assert lookup(tmp_path, "k") is not None


def test_changed_or_missing_report_invalidates_the_record(tmp_path: Path) -> None:
    _fake_logs(tmp_path)
    report = tmp_path / "report.html"
    report.write_text("<html>")
    store(tmp_path, "k", ["x"], report)
    record = lookup(tmp_path, "k")
    assert record is not None and record.report == str(report.resolve())
    _bump(report)
    assert lookup(tmp_path, "k") is None
    store(tmp_path, "k", ["x"], report)
    report.unlink()
    assert lookup(tmp_path, "k") is None


def test_no_record_without_eval_logs(tmp_path: Path) -> None:
    (tmp_path / "2026-01-01T00-00-00-00-00_t_abc.json").write_text("{}")  # json-format logs
    store(tmp_path, "k", ["x"], None)
    assert not (tmp_path / runcache.RECORD_FILE).exists()
    assert lookup(tmp_path, "k") is None


def test_missing_log_dir_gives_none(tmp_path: Path) -> None:
    assert lookup(tmp_path / "nope", "k") is None


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[]",
        '{"format": 1}',
        '{"format": 2, "records": {}}',
        '{"format": 1, "records": []}',
        '{"format": 1, "records": {"k": {"lines": "x"}}}',
        '{"format": 1, "records": {"k": {"lines": [1], "error_lines": [], "files": {},'
        ' "report": null, "report_stat": null}}}',
        '{"format": 1, "records": {"k": {"lines": [], "error_lines": [], "files": {"a.eval":'
        ' [1]}, "report": null, "report_stat": null}}}',
        '{"format": 1, "records": {"k": {"lines": [], "error_lines": [], "files": {"a.eval":'
        ' ["1", 2]}, "report": null, "report_stat": null}}}',
    ],
)
def test_corrupt_record_file_gives_none(tmp_path: Path, content: str) -> None:
    _fake_logs(tmp_path)
    store(tmp_path, "k", ["x"], None)
    (tmp_path / runcache.RECORD_FILE).write_text(content)
    assert lookup(tmp_path, "k") is None
    store(tmp_path, "k", ["y"], None)  # a corrupt file is replaced, not a crash
    record = lookup(tmp_path, "k")
    assert record is not None and record.lines == ["y"]


def test_store_in_a_read_only_dir_does_not_raise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_logs(tmp_path)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(runcache, "_write", refuse)
    store(tmp_path, "k", ["x"], None)
    assert lookup(tmp_path, "k") is None


def test_disabled_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runcache.DISABLE_ENV, raising=False)
    assert not runcache.disabled()
    monkeypatch.setenv(runcache.DISABLE_ENV, "1")
    assert runcache.disabled()
    monkeypatch.setenv(runcache.DISABLE_ENV, "0")
    assert not runcache.disabled()


def test_runcache_imports_nothing_heavy() -> None:
    import subprocess

    code = (
        "import sys, alignlab.runcache; "
        "print(sorted(m for m in ('inspect_ai', 'numpy', 'llama_cpp', 'alignlab.runner') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the CLI --------------------------------------------------------------


@pytest.fixture
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    from alignlab import cli

    fake = install(monkeypatch)

    def write_report(log_dir: Path, output: Path) -> Path:
        output.write_text(f"<html>{len(fake.calls)}</html>")
        cli.console.print("Model: fake")
        cli.err.print("warning: a fake warning")
        return output

    monkeypatch.setattr(cli, "_write_report", write_report)
    return fake


def _eval(log_dir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    from alignlab.cli import app

    argv = ["eval", "--task", "ethics_commonsense", "--limit", "2", "--log-dir", str(log_dir)]
    return CliRunner().invoke(app, [*argv, *args], env=env)


def test_cli_rerun_of_a_finished_run_replays_without_running(
    tmp_path: Path, fake_runner: FakeRunner
) -> None:
    logs = tmp_path / "logs"
    first = _eval(logs, "--display", "none")
    assert first.exit_code == 0, first.output
    second = _eval(logs, "--display", "plain")  # display is not part of the request
    assert second.exit_code == 0, second.output
    assert len(fake_runner.calls) == 1
    assert "Run already complete" in second.stdout and str(logs.resolve()) in second.stdout
    assert second.stdout.startswith(first.stdout)
    assert first.stdout.splitlines() == ["Logs: " + str(logs), "Model: fake", _report_line(logs)]
    assert second.stderr == first.stderr == "warning: a fake warning\n"


def _report_line(logs: Path) -> str:
    return f"Report: {(logs / 'report.html').resolve()}"


def test_cli_changed_option_runs_again(tmp_path: Path, fake_runner: FakeRunner) -> None:
    logs = tmp_path / "logs"
    assert _eval(logs).exit_code == 0
    again = _eval(logs, "--seed", "3")
    assert len(fake_runner.calls) == 2 and "already complete" not in again.stdout


def test_cli_no_report_is_another_request(tmp_path: Path, fake_runner: FakeRunner) -> None:
    logs = tmp_path / "logs"
    assert _eval(logs).exit_code == 0
    plain = _eval(logs, "--no-report")
    assert len(fake_runner.calls) == 2 and "Report:" not in plain.stdout
    replayed = _eval(logs, "--no-report")
    assert len(fake_runner.calls) == 2 and "Report:" not in replayed.stdout
    assert "already complete" in replayed.stdout


def test_cli_deleted_report_runs_again(tmp_path: Path, fake_runner: FakeRunner) -> None:
    logs = tmp_path / "logs"
    assert _eval(logs).exit_code == 0
    (logs / "report.html").unlink()
    again = _eval(logs)
    assert again.exit_code == 0 and len(fake_runner.calls) == 2
    assert (logs / "report.html").exists()


def test_cli_touched_log_runs_again(tmp_path: Path, fake_runner: FakeRunner) -> None:
    logs = tmp_path / "logs"
    assert _eval(logs).exit_code == 0
    _bump(next(logs.glob("*.eval")))
    assert _eval(logs).exit_code == 0 and len(fake_runner.calls) == 2
    assert "already complete" in _eval(logs).stdout and len(fake_runner.calls) == 2


def test_cli_environment_turns_the_fast_path_off(tmp_path: Path, fake_runner: FakeRunner) -> None:
    logs = tmp_path / "logs"
    assert _eval(logs).exit_code == 0
    forced = _eval(logs, env={runcache.DISABLE_ENV: "1"})
    assert forced.exit_code == 0 and len(fake_runner.calls) == 2
    assert "already complete" not in forced.stdout


def test_cli_unfinished_run_stores_nothing(tmp_path: Path, fake_runner: FakeRunner) -> None:
    logs = tmp_path / "logs"
    fake_runner.success = False
    first = _eval(logs)
    assert first.exit_code == 1
    assert not (logs / runcache.RECORD_FILE).exists()
    fake_runner.success = True
    assert _eval(logs).exit_code == 0 and len(fake_runner.calls) == 2


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("boom")])
def test_cli_interrupted_run_stores_nothing(
    tmp_path: Path, fake_runner: FakeRunner, error: BaseException
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / EVAL).write_bytes(b"half")
    fake_runner.error = error
    assert _eval(logs).exit_code != 0
    assert not (logs / runcache.RECORD_FILE).exists()


def test_cli_bad_pairs_fail_before_the_fast_path(tmp_path: Path, fake_runner: FakeRunner) -> None:
    result = _eval(tmp_path / "logs", "-Tvariant")
    assert result.exit_code == 2 and "expects key=value" in result.stderr
    assert len(fake_runner.calls) == 0


def test_cli_help_mentions_the_switch() -> None:
    from alignlab.cli import app

    result = CliRunner().invoke(app, ["eval", "--help"])
    assert runcache.DISABLE_ENV in result.stdout


def test_cli_run_that_skipped_tasks_stores_nothing(
    tmp_path: Path, fake_runner: FakeRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Offline, an inspect_evals task that needs the hub is skipped; online the same
    # command must run it, so the skipping run is not replayed.
    def skipping(**kwargs: Any) -> Any:
        outcome = fake_runner.run_eval(**kwargs)
        outcome.skipped = ["inspect_evals/gsm8k skipped: cannot build it (offline)"]
        return outcome

    monkeypatch.setattr(sys.modules["alignlab.runner"], "run_eval", skipping)
    logs = tmp_path / "logs"
    assert _eval(logs).exit_code == 0
    assert not (logs / runcache.RECORD_FILE).exists()
    assert _eval(logs).exit_code == 0 and len(fake_runner.calls) == 2
