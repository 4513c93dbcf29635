"""Tests for evaluation on Ray (alignlab.cluster): a local Ray started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alignlab.cluster import ClusterError, connect
from alignlab.errors import UnknownTaskError

ray = pytest.importorskip("ray")


def test_no_cluster_at_the_address_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    if ray.is_initialized():
        pytest.skip("a Ray of this process is running")
    with pytest.raises(ClusterError, match="Cannot connect to the Ray cluster at 'auto'") as info:
        connect("auto")
    assert "\n" not in str(info.value) and "ray start --head" in str(info.value)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A two-worker Ray on this machine, started and stopped by the test."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_each_task_runs_as_a_ray_task_and_is_indexed_once(
    local_ray: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignlab.report.build import build_report
    from alignlab.runner import run_eval
    from alignlab.store.runs import find_runs

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    monkeypatch.setenv("ALIGNLAB_INDEX_URL", url)
    outcome = run_eval(
        tasks=["ethics_commonsense", "ethics_justice"],
        limit=3,
        log_dir=tmp_path / "logs",
        cluster="auto",  # the Ray this process started
        display="none",
    )
    assert outcome.success and len(outcome.log_files) == 2
    folders = sorted(Path(f).parent.name for f in outcome.log_files)
    assert folders == ["00-ethics_commonsense", "01-ethics_justice"]
    # The workers do not index; the driver registers each run once.
    assert sorted(r.task for r in find_runs(url)) == ["ethics_commonsense", "ethics_justice"]
    built = build_report(tmp_path / "logs", tmp_path / "report.html")
    assert {r.subset for r in built.results} >= {"commonsense", "justice"}
    # A user-facing error on a worker reaches the caller as itself, with its message.
    with pytest.raises(UnknownTaskError, match="Unknown task 'no_such_task'"):
        run_eval(tasks=["no_such_task"], log_dir=tmp_path / "bad", cluster="auto")
