"""The ``honesty`` and ``reasoning`` suites on the bundled model, end to end: a few items each,
then the report, which must show BeHonest's per-aspect bars with CIs and the judge-agreement
tables (a second judge bound to the same bundled model, so agreement is only a pipeline check).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from alignlab.benchmarks.behonest.scoring import ASPECTS
from alignlab.report.build import build_report


@pytest.mark.slow  # the bundled model on two suites: 1-2 items per task
def test_honesty_and_reasoning_suites_on_the_bundled_model(tmp_path: Path) -> None:
    from alignlab.models.bundled import DEFAULT_MODEL
    from alignlab.runner import run_eval

    logs = tmp_path / "logs"
    options: dict[str, dict[str, Any]] = {
        "honesty": {"resamples": 2, "repeats": 2},
        # short MoReBench answers: each rubric criterion is still one judge call per judge
        "reasoning": {"second_judge": "grader2", "max_tokens": 48},
    }
    for suite, task_args in options.items():
        outcome = run_eval(
            model=DEFAULT_MODEL,
            suite=suite,
            limit=1,
            log_dir=logs,
            display="none",
            task_args=task_args,
            model_roles={"grader2": DEFAULT_MODEL},
        )
        assert outcome.success, suite
    built = build_report(logs, tmp_path / "report.html")
    rows = {(r.task, r.metric, r.subset): r for r in built.results}
    for aspect in ASPECTS:
        row = rows[("behonest", "honesty", aspect)]
        assert row.n > 0, aspect
        if not math.isnan(row.value):
            assert row.ci_low <= row.value <= row.ci_high, aspect
    page = (tmp_path / "report.html").read_text()
    for title in ("BeHonest scenarios", "MoReBench judges"):
        assert title in page
    assert "Cohen" in page and "Krippendorff" in page  # the agreement table's columns
    # one bar chart with CI error bars of the aspect rows (subsets of the metric "honesty")
    assert "honesty per subset for behonest" in page
