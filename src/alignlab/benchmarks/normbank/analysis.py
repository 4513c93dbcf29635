"""Norm Bank report rows: accuracy per format (both calibrations, chance and majority
baselines) and the log-odds AUC of the binary formats, read from each log's paper metric
(:mod:`alignlab.report.forced_choice`).

The rows' ``task`` column stays ``delphi`` (what reports showed before the
family became the ``normbank`` package), so rows compare across versions.
"""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks.normbank.tasks import REPORTED_AS
from alignlab.report.forced_choice import forced_choice_rows
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Rows of every Norm Bank run, sorted by model, task, subset and variant."""
    rows = [row for run in runs for row in forced_choice_rows(run, task=REPORTED_AS)]
    return sorted(rows, key=lambda r: (r.model, r.task, r.subset, r.variant))


def report_warnings(runs: Sequence[RunLog]) -> list[str]:
    """Warnings with counts the report shows above this family's tables."""
    from alignlab.report.forced_choice import calibration_warnings

    return calibration_warnings(runs)
