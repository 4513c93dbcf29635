"""The terminal summary: intervened runs get a column, numbers go through the one formatter."""

from __future__ import annotations

from alignlab import cli
from alignlab.report.results import MetricResult


def _row(intervention: str, value: float) -> MetricResult:
    return MetricResult(
        "m", "ethics", "commonsense", "accuracy", value, 0.25, 0.75, 8, 0.0,
        chance=0.5, intervention=intervention,
    )  # fmt: skip


def _printed(rows: list[MetricResult]) -> str:
    with cli.console.capture() as captured:
        cli._print_summary(rows)
    return captured.get()


def test_intervention_column_only_when_a_run_intervened() -> None:
    plain = _printed([_row("none", 0.5)])
    assert "intervention" not in plain
    both = _printed([_row("none", 0.5), _row("principles", 0.625)])
    assert "intervention" in both and "principles" in both
    assert "0.625" in both and "[0.250, 0.750]" in both
    assert "–" in both  # no majority baseline: the report's mark for a missing value
