"""alignlab and Inspect's registry, both ways.

alignlab's tasks run as plain Inspect tasks (``inspect eval alignlab/<task>``,
registered through the package's ``inspect_ai`` entry point), and tasks of
other Inspect packages (``inspect_evals/<task>``) run in alignlab's suites and
``--task``: offline, one whose dataset is on the hub is skipped with a
one-line reason instead of ending the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import inspect_evals  # noqa: F401 - a pinned dependency: its absence must fail, not skip
import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from alignlab import runner
from alignlab.benchmarks import TaskSpec, all_tasks
from alignlab.errors import AlignlabError, UnknownTaskError

# A real inspect_evals task whose dataset is downloaded from the hub (openai/gsm8k),
# and one whose dataset ships inside inspect_evals.
HUB_TASK = "inspect_evals/gsm8k"
LOCAL_TASK = "inspect_evals/agent_threat_bench_data_exfil"


# --- alignlab tasks in Inspect ---------------------------------------------------------


def test_every_task_is_registered_as_alignlab_slash_name() -> None:
    from inspect_ai._util.registry import registry_has

    import alignlab._registry  # noqa: F401 - what Inspect's entry point imports

    missing = [name for name in all_tasks() if not registry_has("task", f"alignlab/{name}")]
    assert missing == []


def test_a_task_under_another_name_gets_an_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_ai._eval.registry import task_create
    from inspect_ai._util.registry import registry_has

    from alignlab import _registry

    factory = all_tasks()["ethics_commonsense"]
    monkeypatch.setattr("alignlab.benchmarks.all_tasks", lambda: {"ethics_alias_for_test": factory})
    assert _registry.register_tasks() == ["alignlab/ethics_alias_for_test"]
    assert registry_has("task", "alignlab/ethics_alias_for_test")
    assert _registry.register_tasks() == []  # idempotent
    built = task_create("alignlab/ethics_alias_for_test", limit=2)
    assert len(built.dataset) == 2
    # The original keeps its own registry name.
    assert factory(limit=1).name == "ethics_commonsense"


def test_inspect_eval_runs_an_alignlab_task(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "INSPECT_LOG_FORMAT": "eval",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent.parent / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    inspect_cli = Path(sys.executable).parent / "inspect"
    proc = subprocess.run(
        [
            str(inspect_cli),
            "eval",
            "alignlab/ethics_commonsense",
            "--model",
            "alignlab/smollm2",
            "--limit",
            "2",
            "--log-dir",
            str(tmp_path),
            "--display",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    logs = list_eval_logs(str(tmp_path))
    assert len(logs) == 1
    log = read_eval_log(logs[0])
    assert log.status == "success"
    # The same task name as `alignlab eval --task ethics_commonsense` logs, so the report reads it.
    assert log.eval.task == "ethics_commonsense"
    assert log.eval.task_registry_name == "alignlab/ethics_commonsense"
    assert log.eval.model == "alignlab/smollm2"
    assert log.eval.metadata is not None and log.eval.metadata.get("family") == "ethics"
    assert log.samples is not None and len(log.samples) == 2
    assert log.results is not None and log.results.completed_samples == 2


# --- Inspect packages' tasks in alignlab -------------------------------------------------


def test_hub_task_offline_is_skipped_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    task, reason = runner.build_external_task(TaskSpec(HUB_TASK), {})
    assert task is None and reason is not None
    assert reason.startswith(f"{HUB_TASK} skipped: cannot build it")
    assert "gsm8k" in reason.split("skipped:", 1)[1] and "\n" not in reason


def test_local_task_is_built_with_the_limit() -> None:
    task, reason = runner.build_external_task(TaskSpec(LOCAL_TASK, {"limit": 5}), {"limit": 3})
    assert reason is None
    assert task.name == LOCAL_TASK and len(task.dataset) == 3


def test_alignlab_options_are_not_passed_to_an_external_task() -> None:
    overrides = {"variant": "direct", "calibration": "contextual", "seed": 1}
    task, reason = runner.build_external_task(TaskSpec(LOCAL_TASK), overrides)
    assert reason is None and task is not None


def test_external_task_with_an_intervention_is_skipped() -> None:
    task, reason = runner.build_external_task(TaskSpec(LOCAL_TASK), {"intervention": ["x"]})
    assert task is None and reason is not None and "interventions apply" in reason


def test_unknown_external_task_fails() -> None:
    with pytest.raises(UnknownTaskError, match="inspect_evals/no_such_eval"):
        runner.build_external_task(TaskSpec("inspect_evals/no_such_eval"), {})


class FakeEvalSet:
    """Stands in for ``inspect_ai.eval_set``: records the tasks, runs nothing."""

    def __init__(self) -> None:
        self.tasks: list[Any] = []

    def __call__(self, tasks: Any, **kwargs: Any) -> tuple[bool, list[Any]]:
        self.tasks = list(tasks)
        return True, []


@pytest.fixture
def fake_eval_set(monkeypatch: pytest.MonkeyPatch) -> FakeEvalSet:
    import inspect_ai

    fake = FakeEvalSet()
    monkeypatch.setattr(inspect_ai, "eval_set", fake)
    monkeypatch.setattr(runner, "load_model", lambda *args, **kwargs: "model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return fake


def test_run_eval_skips_the_hub_task_and_runs_the_rest(
    tmp_path: Path, fake_eval_set: FakeEvalSet
) -> None:
    warnings: list[str] = []
    outcome = runner.run_eval(
        tasks=["ethics_commonsense", HUB_TASK, LOCAL_TASK],
        log_dir=tmp_path,
        limit=2,
        display="none",
        warn=warnings.append,
    )
    assert outcome.success
    assert [t.name for t in fake_eval_set.tasks] == ["ethics_commonsense", LOCAL_TASK]
    assert len(outcome.skipped) == 1 and outcome.skipped[0].startswith(f"{HUB_TASK} skipped")
    assert warnings == outcome.skipped


def test_run_eval_with_nothing_left_fails_clearly(
    tmp_path: Path, fake_eval_set: FakeEvalSet
) -> None:
    with pytest.raises(AlignlabError, match=f"Nothing to run: {HUB_TASK} skipped"):
        runner.run_eval(tasks=[HUB_TASK], log_dir=tmp_path, display="none", warn=lambda m: None)
    assert fake_eval_set.tasks == []


def test_alignlab_prefix_names_the_alignlab_task() -> None:
    assert runner.task_specs(None, ["alignlab/ethics_justice"]) == [TaskSpec("ethics_justice")]


def test_a_suite_can_include_inspect_evals_tasks(
    tmp_path: Path, fake_eval_set: FakeEvalSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignlab.benchmarks import Suite

    mixed = Suite(
        "mixed",
        "an alignlab task and two inspect_evals tasks",
        (
            TaskSpec("ethics_justice", {"limit": 4}),
            TaskSpec(LOCAL_TASK, {"limit": 2}),
            TaskSpec(HUB_TASK),
        ),
    )
    monkeypatch.setattr(runner, "resolve_suite", lambda name: mixed)
    warnings: list[str] = []
    outcome = runner.run_eval(suite="mixed", log_dir=tmp_path, display="none", warn=warnings.append)
    assert [t.name for t in fake_eval_set.tasks] == ["ethics_justice", LOCAL_TASK]
    assert len(fake_eval_set.tasks[1].dataset) == 2
    assert len(warnings) == 1 and warnings[0].startswith(f"{HUB_TASK} skipped")
    assert outcome.skipped == warnings
