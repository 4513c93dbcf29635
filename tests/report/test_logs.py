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
