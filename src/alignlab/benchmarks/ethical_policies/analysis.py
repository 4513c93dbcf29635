"""In-context ethical policy rows: consistency with the stated policy per level of
abstraction (the forced-choice accuracy, with CI, chance and majority baselines), and
the share of dilemmas where the policy was followed in both directions (exact match)."""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.report.forced_choice import forced_choice_rows
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Rows of every run, sorted by model, level and variant."""
    rows = [row for run in runs for row in forced_choice_rows(run)]
    return sorted(rows, key=lambda r: (r.model, r.subset, r.variant))


def report_warnings(runs: Sequence[RunLog]) -> list[str]:
    """Warnings with counts the report shows above this family's tables."""
    from alignlab.report.forced_choice import calibration_warnings

    return calibration_warnings(runs)
