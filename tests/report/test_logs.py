"""The one place that reads a log directory and picks the run to report."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from inspect_ai import Task, eval, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate

from alignlab.errors import LogError
from alignlab.report.logs import choose, load_logs

USAGE = ModelUsage(input_tokens=3, output_tokens=1, total_tokens=4)


@task
def tiny(n: int = 3, calibration: str = "none") -> Task:
    samples = [Sample(id=f"s{i}", input=f"say {i}", target="yes") for i in range(n)]
    return Task(
        dataset=MemoryDataset(samples),
        solver=generate(),
        scorer=match(),
        metadata={"family": "tinyfam"},
    )


def _run(log_dir: Path, **args: object) -> Path:
    def answer(*_: object) -> ModelOutput:
        output = ModelOutput.from_content("mockllm/model", "yes")
        output.usage = USAGE  # without usage Inspect fetches a tokenizer to count tokens
        return output

    model = get_model("mockllm/model", custom_outputs=answer)
    [log] = eval(tiny(**args), model=model, log_dir=str(log_dir), display="none")  # type: ignore[arg-type]
    assert log.status == "success", log.error
    return Path(log.location)


def test_newest_finished_log_wins_and_arguments_make_runs(tmp_path: Path) -> None:
    first = _run(tmp_path, n=3)
    time.sleep(1.1)  # Inspect's created stamp has one-second resolution in file names
    second = _run(tmp_path, n=3)
    other = _run(tmp_path, n=2)
    logs = load_logs(tmp_path)
    paths = {r.path for r in logs.runs}
    assert second in paths and other in paths and first not in paths
    assert len(logs.runs) == 2
    assert {r.family for r in logs.runs} == {"tinyfam"}
    assert logs.of_family("tinyfam") == list(logs.runs) and logs.of_family("x") == []


def test_calibration_does_not_make_another_run(tmp_path: Path) -> None:
    _run(tmp_path, n=2, calibration="none")
    time.sleep(1.1)
    newest = _run(tmp_path, n=2, calibration="contextual")
    [run] = load_logs(tmp_path).runs
    assert run.path == newest


def test_samples_are_read_only_when_asked(tmp_path: Path) -> None:
    _run(tmp_path, n=3)
    [run] = load_logs(tmp_path).runs
    assert run._samples is None  # headers only so far
    assert [s.id for s in run.samples] == ["s0", "s1", "s2"]
    assert len(run.scored("match")) == 3 and run.scored("nope") == []


def test_finished_log_beats_a_larger_interrupted_one(tmp_path: Path) -> None:
    done = _run(tmp_path, n=2)
    [finished] = load_logs(tmp_path).runs

    class Interrupted(type(finished)):  # type: ignore[misc]
        @property
        def status(self) -> str:
            return "started"

    stub = Interrupted(tmp_path / "x.eval", finished.header, _samples=[object()] * 5)
    assert choose([stub, finished])[0].path == done
    assert choose([finished, stub])[0].path == done


def test_unreadable_log_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    _run(tmp_path, n=2)
    (tmp_path / "broken.eval").write_bytes(b"not a zip")
    logs = load_logs(tmp_path)
    assert len(logs.runs) == 1
    assert len(logs.warnings) == 1 and "broken.eval" in logs.warnings[0]


def test_missing_or_empty_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="not found"):
        load_logs(tmp_path / "nope")
    with pytest.raises(LogError, match="No Inspect logs"):
        load_logs(tmp_path)


def test_streamed_samples_match_inspects_reader_in_order_and_content(tmp_path: Path) -> None:
    from inspect_ai.log import read_eval_log

    path = _run(tmp_path, n=12)
    [run] = load_logs(tmp_path).runs
    expected = read_eval_log(str(path)).samples or []
    streamed = list(run.iter_samples())
    # Inspect's order: epoch, then id (s0, s1, s10, s11, s2, ...)
    assert [s.id for s in streamed] == [s.id for s in expected]
    assert [s.id for s in streamed][:4] == ["s0", "s1", "s10", "s11"]
    for mine, theirs in zip(streamed, expected, strict=True):
        assert mine.scores == theirs.scores and mine.output == theirs.output
        assert mine.input == theirs.input and mine.target == theirs.target
        assert mine.events == []  # left out: no analysis reads them
    assert run.sample_count() == 12


def test_views_stream_once_and_survive_release(tmp_path: Path) -> None:
    from alignlab.report import degenerate  # noqa: F401 (registers its view)
    from alignlab.report import logs as logs_module

    _run(tmp_path, n=5)
    [run] = load_logs(tmp_path).runs
    passes = 0
    original = logs_module.RunLog.iter_samples

    def counting(self: logs_module.RunLog):  # type: ignore[no-untyped-def]
        nonlocal passes
        passes += 1
        yield from original(self)

    logs_module.RunLog.iter_samples = counting  # type: ignore[method-assign]
    try:
        ids = run.view("test.ids", lambda s: s.id)
        again = run.view("test.ids", lambda s: 1 / 0)  # cached: not called again
        run.release()
        answers = run.view("degenerate.answers", lambda s: 1 / 0)  # registered: filled already
    finally:
        logs_module.RunLog.iter_samples = original  # type: ignore[method-assign]
    assert ids == again == ["s0", "s1", "s2", "s3", "s4"]
    assert passes == 1
    assert [a.answer for a in answers] == ["yes"] * 5
    assert run._samples is None  # nothing but the views kept
