"""Report rows of attack-success-style rates (red-teaming families): overall and per category,
with Wilson CIs, from per-item outcomes (True success, False failure, None unread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alignlab.metrics import Rate, attack_success_rate, rates_by_category
from alignlab.report.results import MetricResult


def rate_row(subset: str, rate: Rate, metric: str, scoring: str = "grader") -> MetricResult:
    """A report row of ``rate`` (model and task left blank; lower is better)."""
    return MetricResult(
        model="",
        task="",
        subset=subset,
        metric=metric,
        value=rate.value,
        ci_low=rate.ci_low,
        ci_high=rate.ci_high,
        n=rate.n,
        unparsed_rate=rate.unread_rate if rate.n + rate.unread else 0.0,
        higher_is_better=False,
        scoring=scoring,
        extra={"successes": float(rate.successes)},
    )


def category_rate_rows(
    metric: str,
    outcomes: Sequence[bool | None],
    categories: Mapping[str, Sequence[str]],
    scoring: str = "grader",
) -> list[MetricResult]:
    """``metric`` over every outcome (subset ``all``), then per category of each field
    (subset ``field:category``), fields and categories in order of first appearance."""
    rows = [rate_row("all", attack_success_rate(outcomes), metric, scoring)]
    for field, labels in categories.items():
        for name, rate in rates_by_category(outcomes, labels).items():
            rows.append(rate_row(f"{field}:{name}", rate, metric, scoring))
    return rows


def rate_chart_blocks(
    label: str,
    rows: Sequence[MetricResult],
    what: str,
    units: str = "graded items",
    caption: str | None = None,
) -> list[Any]:
    """A run's heading, its overall rate in words and a bar chart of every row with its CI
    (report blocks); ``what`` names the rate ("attack success rate"), ``units`` what ``n``
    counts, ``caption`` the chart's caption (default: overall and per category)."""
    from alignlab.report.ci_bars import ci_bar_chart
    from alignlab.report.format import interval, pct
    from alignlab.report.sections import Figure, Heading, Text

    overall = rows[0]
    return [
        Heading(label),
        Text(
            f"{what.capitalize()} {pct(overall.value)} {interval(overall.ci_low, overall.ci_high)}"
            f" over {overall.n} {units} (Wilson 95% CI)."
        ),
        Figure(
            ci_bar_chart(
                [r.subset for r in rows],
                [r.value for r in rows],
                [r.ci_low for r in rows],
                [r.ci_high for r in rows],
                what,
            ),
            caption or f"{what.capitalize()} overall and per category, Wilson 95% CIs.",
        ),
    ]
