"""The safety suite: inspect_evals tasks, each skipped offline with a one-line reason."""

from __future__ import annotations

import pytest
from inspect_ai._util.registry import registry_lookup

from alignlab import runner
from alignlab.benchmarks import TaskSpec, resolve_suite
from alignlab.errors import AlignlabError
from alignlab.models.perf import load_entry_point

# Tasks whose hub dataset fails at once offline (others retry for a minute first).
FAST_OFFLINE = ("inspect_evals/xstest", "inspect_evals/mask")


def test_suite_names_installed_inspect_evals_tasks() -> None:
    load_entry_point("inspect_evals")
    names = [spec.name for spec in resolve_suite("safety").tasks]
    for wanted in ("strong_reject", "bbq", "xstest", "agentharm", "mask", "sycophancy"):
        assert f"inspect_evals/{wanted}" in names
    assert all(registry_lookup("task", name) is not None for name in names)


@pytest.mark.parametrize("name", FAST_OFFLINE)
def test_offline_task_is_skipped_with_one_line(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = next(s for s in resolve_suite("safety").tasks if s.name == name)
    task, reason = runner.build_external_task(spec, {})
    assert task is None and reason is not None
    assert reason.startswith(f"{name} skipped: cannot build it (")
    assert "\n" not in reason


@pytest.mark.slow
def test_whole_suite_offline_skips_every_task_and_runs_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Several tasks retry their download for up to a minute before failing: slow.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(runner, "load_model", lambda *a, **k: pytest.fail("must not run"))
    warned: list[str] = []
    with pytest.raises(AlignlabError, match="Nothing to run") as info:
        runner.run_eval(suite="safety", warn=warned.append, log_dir=None)
    specs: list[TaskSpec] = list(resolve_suite("safety").tasks)
    assert len(warned) == len(specs)
    assert all(w.startswith(f"{s.name} skipped:") for w, s in zip(warned, specs, strict=True))
    assert all("\n" not in w for w in warned)
    assert str(info.value).count("skipped:") == len(specs)
