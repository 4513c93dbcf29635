"""Tests for the run index: the schema (alignlab.store), records from logs, the runner hook, CLI."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import read_eval_log
from typer.testing import CliRunner

from alignlab.cli import app
from alignlab.errors import AlignlabError
from alignlab.results_cli import parse_since
from alignlab.store.db import StoreError
from alignlab.store.runs import MetricRecord, RunRecord, find_runs, get_run, register

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _record(eval_id: str, model: str, task: str, days: int, value: float = 0.6) -> RunRecord:
    return RunRecord(
        eval_id=eval_id,
        model=model,
        task=task,
        family="ethics",
        args={"limit": 10, "variant": "paper"},
        intervention="none",
        recipe=None,
        data="bundled",
        dataset_hash="abc",
        package_version="0.1.0",
        inspect_version="0.3.285",
        status="success",
        n_samples=10,
        created=T0 + timedelta(days=days),
        log_path=f"/logs/{eval_id}.eval",
        metrics=(
            MetricRecord("all", "accuracy", value, value - 0.1, value + 0.1, 10, chance=0.5),
            MetricRecord("all", "auc", math.nan, math.nan, math.nan, 0),
        ),
    )


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (the audit log's fixture), one per module."""
    from pg_cluster import pg_bindir, postgres_cluster

    if pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
    with postgres_cluster() as (pg_url, _, _):
        yield pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The index on SQLite (a file) and on a real PostgreSQL server (emptied per test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.db'}"
    from sqlalchemy import text

    from alignlab.store.db import engine_for

    pg_url: str = request.getfixturevalue("postgres_url")
    with engine_for(pg_url).begin() as connection:
        connection.execute(text("DELETE FROM run_metrics"))
        connection.execute(text("DELETE FROM runs"))
    return pg_url


def test_register_then_filter_by_model_task_and_time(url: str) -> None:
    register(
        [
            _record("run-aaaa1", "m/alpha", "ethics_justice", 0),
            _record("run-bbbb2", "m/beta", "ethics_justice", 1),
            _record("run-cccc3", "m/alpha", "ethics_virtue", 2),
        ],
        url,
    )
    assert [r.eval_id for r in find_runs(url)] == ["run-aaaa1", "run-bbbb2", "run-cccc3"]
    assert [r.eval_id for r in find_runs(url, model="alpha")] == ["run-aaaa1", "run-cccc3"]
    assert [r.eval_id for r in find_runs(url, task="justice", model="beta")] == ["run-bbbb2"]
    since = T0 + timedelta(days=1)
    assert [r.eval_id for r in find_runs(url, since=since)] == ["run-bbbb2", "run-cccc3"]
    # A "%" or "_" in a filter is a character, not a wildcard.
    assert find_runs(url, task="%") == []


def test_round_trip_keeps_metrics_and_stores_nan_as_null(url: str) -> None:
    original = _record("run-aaaa1", "m/alpha", "ethics_justice", 0)
    register([original], url)
    [back] = find_runs(url)
    assert back.args == original.args and back.created == original.created
    accuracy, auc = back.metrics
    assert (accuracy.value, accuracy.ci_low, accuracy.ci_high, accuracy.chance) == pytest.approx(
        (0.6, 0.5, 0.7, 0.5)
    )
    assert (auc.value, auc.ci_low, auc.n) == (None, None, 0)
    assert json.loads(json.dumps(back.as_json()))["metrics"][0]["metric"] == "accuracy"


def test_registering_the_same_eval_again_replaces_it(url: str) -> None:
    register([_record("run-aaaa1", "m/alpha", "ethics_justice", 0, value=0.6)], url)
    register([_record("run-aaaa1", "m/alpha", "ethics_justice", 0, value=0.8)], url)
    [only] = find_runs(url)
    assert only.metrics[0].value == pytest.approx(0.8)
    assert len(only.metrics) == 2


def test_get_run_by_prefix_and_its_clear_errors(url: str) -> None:
    register(
        [
            _record("run-aaaa1", "m/a", "t", 0),
            _record("run-aaab2", "m/a", "t", 1),
        ],
        url,
    )
    assert get_run("run-aaaa", url).eval_id == "run-aaaa1"
    with pytest.raises(StoreError, match="No run 'zzzz'"):
        get_run("zzzz", url)
    with pytest.raises(StoreError, match="ambiguous"):
        get_run("run-aaa", url)
    with pytest.raises(StoreError, match="too short"):
        get_run("ru", url)


def test_an_unusable_url_is_one_clear_error() -> None:
    with pytest.raises(StoreError, match="Cannot open the run index .*ALIGNLAB_INDEX_URL"):
        find_runs("nosuchdialect://x/y")


def test_parse_since() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_since("2d", now) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_since("90m", now) == datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    assert parse_since("2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(AlignlabError, match="--since expects"):
        parse_since("yesterday")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """ETHICS commonsense on 4 items through the runner (a scripted model), indexed by its hook."""
    import os

    from inspect_ai.model import ModelUsage

    from alignlab.runner import run_eval
    from mock_outputs import top_logprob_output

    usage = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
    root = tmp_path_factory.mktemp("index")
    url = f"sqlite:///{root / 'runs.db'}"
    before = os.environ.get("ALIGNLAB_INDEX_URL")
    os.environ["ALIGNLAB_INDEX_URL"] = url
    try:
        outcome = run_eval(
            model="mockllm/model",
            model_args={
                "custom_outputs": lambda *_: top_logprob_output({"Yes": -0.2, "No": -1.8}, usage)
            },
            tasks=["ethics_commonsense"],
            limit=4,
            log_dir=root / "logs",
            display="none",
        )
        assert outcome.success
    finally:
        if before is None:
            del os.environ["ALIGNLAB_INDEX_URL"]
        else:
            os.environ["ALIGNLAB_INDEX_URL"] = before
    return url, root / "logs"


def test_the_runner_indexes_each_finished_eval_with_its_report_metrics(
    indexed: tuple[str, Path],
) -> None:
    from alignlab.report.build import build_report

    url, logs = indexed
    [run] = find_runs(url)
    assert (run.model, run.task, run.family, run.status) == (
        "mockllm/model",
        "ethics_commonsense",
        "ethics",
        "success",
    )
    assert run.n_samples == 4 and run.intervention == "none" and run.data == "bundled"
    assert len(run.dataset_hash) == 16 and run.package_version == "0.1.0"
    assert Path(run.log_path).exists()
    # The index holds the numbers the report shows, CIs and chance included.
    report = build_report(logs, logs / "report.html")
    shown = {(r.subset, r.metric, r.calibration): r for r in report.results}
    for m in run.metrics:
        r = shown[(m.subset, m.metric, m.calibration)]
        assert (m.value, m.ci_low, m.ci_high, m.chance, m.n) == pytest.approx(
            (r.value, r.ci_low, r.ci_high, r.chance, r.n)
        )


def test_runs_cli_adds_old_logs_and_lists_them(indexed: tuple[str, Path], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    _, logs = indexed
    added = _cli("runs", "--index", url, "--add", str(logs), "--json")
    assert added.exit_code == 0, added.stderr
    assert "indexed 1 run(s)" in added.stderr
    [entry] = json.loads(added.stdout)
    assert entry["task"] == "ethics_commonsense" and entry["metrics"]
    # Indexed later: the version is the one Inspect recorded in the log, if it recorded one
    # (it does when alignlab is installed as a distribution), never the version indexing it.
    [log_file] = logs.glob("*.eval")
    recorded = (read_eval_log(str(log_file), header_only=True).eval.packages or {}).get("alignlab")
    assert entry["package_version"] == (recorded or "unknown")
    table = _cli("runs", "--index", url, "--task", "commonsense")
    assert "ethics_commonsense" in table.stdout and entry["eval_id"][:10] in table.stdout
    missing = _cli("runs", "--index", url, "--add", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert missing.stderr.strip().count("\n") == 0 and "Log directory not found" in missing.stderr


def _cli(*args: str) -> Any:
    """``alignlab ARGS`` in this process (stdout and stderr apart)."""
    return CliRunner().invoke(app, list(args))


def test_an_index_turned_off_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNLAB_INDEX_URL", "off")
    with pytest.raises(StoreError, match="The run index is off"):
        find_runs()


def test_runs_cli_adds_and_lists_on_postgresql(
    indexed: tuple[str, Path], postgres_url: str
) -> None:
    from sqlalchemy import text

    from alignlab.store.db import engine_for

    url = postgres_url
    with engine_for(url).begin() as connection:
        connection.execute(text("DELETE FROM runs"))
    _, logs = indexed
    added = _cli("runs", "--index", url, "--add", str(logs), "--json")
    assert added.exit_code == 0, added.output
    listed = _cli("runs", "--index", url, "--task", "commonsense", "--json")
    assert listed.exit_code == 0, listed.output
    [run] = json.loads(listed.stdout)
    assert run["task"] == "ethics_commonsense" and run["metrics"]
    assert get_run(run["eval_id"][:8], url).eval_id == run["eval_id"]
