"""Render metric results as one self-contained HTML file: inline CSS, charts as base64 PNG."""

from __future__ import annotations

import base64
import functools
import io
import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

import jinja2
import markupsafe
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from alignlab.report.results import MetricResult

# Colour-blind-friendly enough and distinct at small sizes (matplotlib's tab10).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# Variants get their own colours and markers so they are not read as models.
_VARIANT_STYLES = (
    ("#1b9e77", "o"),
    ("#7570b3", "s"),
    ("#e7298a", "D"),
    ("#66a61e", "^"),
    ("#e6ab02", "v"),
    ("#a6761d", "P"),
    ("#666666", "X"),
)
_CHANCE_COLOUR = "#222222"
_MAJORITY_COLOUR = "#d95f02"
_DPI = 110

_K = TypeVar("_K", bound=Hashable)


@dataclass(frozen=True)
class _Row:
    """One summary-table row, every cell already formatted as text."""

    model: str
    subset: str
    metric: str
    variant: str
    calibration: str
    value: str
    value_class: str
    ci: str
    n: str
    unparsed: str
    unparsed_high: bool
    chance: str
    majority: str
    scoring: str
    near_chance: bool
    log_file: str
    extra: str


@dataclass(frozen=True)
class _Chart:
    """One embedded chart: a ``data:image/png;base64,...`` URI and its caption."""

    metric: str
    caption: str
    src: str


@dataclass(frozen=True)
class _VariantValue:
    label: str
    value: str


@dataclass(frozen=True)
class _SpreadRow:
    """Min / max / spread of one (model, subset, metric) across prompt variants."""

    model: str
    subset: str
    metric: str
    values: list[_VariantValue]
    low: str
    low_label: str
    high: str
    high_label: str
    spread: str


@dataclass(frozen=True)
class _TaskSection:
    task: str
    anchor: str
    rows: list[_Row]
    n_near_chance: int
    charts: list[_Chart]
    spread_rows: list[_SpreadRow]
    spread_charts: list[_Chart]


@dataclass(frozen=True)
class ExtraSection:
    """A report section rendered elsewhere: a title and a ready, escaped HTML fragment."""

    title: str
    html: str


def render_report(
    results: Sequence[MetricResult],
    *,
    title: str = "alignlab report",
    notes: Sequence[str] = (),
    generated_at: str | None = None,
    extra_sections: Sequence[ExtraSection] = (),
) -> str:
    """Render ``results`` as one self-contained HTML page.

    The page has, per task, a summary table (every row whose 95% CI includes
    chance carries a "≈ chance" badge), one bar chart per metric with CI error
    bars and the chance and majority baselines, and, where a result was measured
    under several prompt variants or calibrations, a table and chart of the
    spread across them. Nothing is loaded from outside the file.

    Args:
        results: the rows to show, in any order; tasks, models and subsets keep
            the order in which they first appear.
        title: the page title and heading.
        notes: caveats shown under the heading, e.g. that a tiny model is near
            chance and demonstrates the pipeline rather than a value profile.
        generated_at: the time to print; defaults to now, in UTC.
        extra_sections: further sections (e.g. value rankings) that other
            analyses render themselves; their ``html`` must already be escaped
            and self-contained.

    Returns:
        The HTML document as a string.
    """
    models = _unique(r.model for r in results)
    colours = {model: PALETTE[i % len(PALETTE)] for i, model in enumerate(models)}
    tasks = _unique(r.task for r in results)
    sections = [
        _task_section(task, [r for r in results if r.task == task], models, colours)
        for task in tasks
    ]
    if generated_at is None:
        generated_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        generated_at=generated_at,
        models=models,
        notes=list(notes),
        sections=sections,
        n_results=len(results),
        extra_sections=[(x.title, markupsafe.Markup(x.html)) for x in extra_sections],
    )


def write_report(
    results: Sequence[MetricResult],
    path: str | Path,
    *,
    title: str = "alignlab report",
    notes: Sequence[str] = (),
    generated_at: str | None = None,
    extra_sections: Sequence[ExtraSection] = (),
) -> Path:
    """Render ``results`` (see :func:`render_report`) and write them to ``path`` as UTF-8.

    Parent directories are created. Returns the path written.
    """
    out = Path(path)
    html = render_report(
        results,
        title=title,
        notes=notes,
        generated_at=generated_at,
        extra_sections=extra_sections,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


@functools.cache
def _environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape: the template ends in ".j2", which
    # select_autoescape would not recognise as HTML and so would not escape.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alignlab.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _task_section(
    task: str, results: list[MetricResult], models: list[str], colours: dict[str, str]
) -> _TaskSection:
    metrics = _unique(r.metric for r in results)
    subsets = _unique(r.subset for r in results)
    order = sorted(
        results,
        key=lambda r: (metrics.index(r.metric), subsets.index(r.subset), models.index(r.model)),
    )
    rows = [_row(r) for r in order]
    charts = []
    spread_rows: list[_SpreadRow] = []
    spread_charts = []
    for metric in metrics:
        of_metric = [r for r in order if r.metric == metric]
        shown = _chart_results(of_metric)
        charts.append(
            _Chart(
                metric=metric,
                caption=_chart_caption(shown, of_metric),
                src=_bar_chart(shown, metric, models, colours),
            )
        )
        groups = _variant_groups(of_metric)
        if groups:
            spread_rows.extend(_spread_row(g) for g in groups)
            spread_charts.append(
                _Chart(
                    metric=metric,
                    caption=f"{metric}: each point is one prompt variant or calibration; "
                    "the grey bar spans min to max.",
                    src=_spread_chart(groups, metric),
                )
            )
    return _TaskSection(
        task=task,
        anchor="task-" + re.sub(r"[^A-Za-z0-9_-]+", "-", task).strip("-"),
        rows=rows,
        n_near_chance=sum(r.near_chance for r in rows),
        charts=charts,
        spread_rows=spread_rows,
        spread_charts=spread_charts,
    )


def _row(r: MetricResult) -> _Row:
    value_class = ""
    if r.chance is not None and _finite(r.ci_low, r.ci_high):
        # "above" = better than chance, "below" = worse, whichever way the metric runs.
        if r.ci_low > r.chance:
            value_class = "above" if r.higher_is_better else "below"
        elif r.ci_high < r.chance:
            value_class = "below" if r.higher_is_better else "above"
    return _Row(
        model=r.model,
        subset=r.subset,
        metric=r.metric_label,
        variant=r.variant,
        calibration=r.calibration,
        value=_number(r.value),
        value_class=value_class,
        ci=_interval(r.ci_low, r.ci_high),
        n=str(r.n),
        unparsed=_percent(r.unparsed_rate),
        # Unparsed answers count as wrong, so a high rate drags the score down
        # for reasons that have nothing to do with the model's values.
        unparsed_high=math.isfinite(r.unparsed_rate) and r.unparsed_rate >= 0.1,
        chance=_number(r.chance),
        majority=_number(r.majority),
        scoring=r.scoring,
        near_chance=r.ci_includes_chance,
        log_file=r.log_file,
        extra=", ".join(f"{k}={_number(v)}" for k, v in sorted(r.extra.items())),
    )


def _number(x: float | None) -> str:
    if x is None:
        return "–"
    if math.isnan(x):
        return "n/a"
    return f"{x:.3f}"


def _percent(rate: float) -> str:
    return f"{100 * rate:.1f}%" if math.isfinite(rate) else "n/a"


def _interval(low: float, high: float) -> str:
    return f"[{low:.3f}, {high:.3f}]" if _finite(low, high) else "n/a"


def _finite(*xs: float) -> bool:
    return all(math.isfinite(x) for x in xs)


def _unique(items: Iterable[_K]) -> list[_K]:
    """The distinct items, in the order they first appear."""
    return list(dict.fromkeys(items))


def _variant_label(r: MetricResult) -> str:
    return r.variant if r.calibration == "none" else f"{r.variant} · {r.calibration}"


def _chart_results(results: list[MetricResult]) -> list[MetricResult]:
    """One result per (model, subset) for the bar chart.

    Prefers the "default" prompt variant, then the uncalibrated score, then the
    first given; the other variants appear in the spread section instead.
    """
    best: dict[tuple[str, str], tuple[tuple[bool, bool, int], MetricResult]] = {}
    for i, r in enumerate(results):
        rank = (r.variant != "default", r.calibration != "none", i)
        key = (r.model, r.subset)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, r)
    return [r for _, r in best.values()]


def _chart_caption(shown: list[MetricResult], all_results: list[MetricResult]) -> str:
    baselines = []
    if any(r.chance is not None for r in shown):
        baselines.append("dashed black: chance")
    if any(r.majority is not None for r in shown):
        baselines.append("dotted orange: majority baseline")
    caption = f"{shown[0].metric} per subset with 95% CI" + "".join(f"; {b}" for b in baselines)
    caption += "."
    if len(shown) == len(all_results):
        return caption
    labels = _unique(_variant_label(r) for r in shown)
    if len(labels) == 1:
        return caption + f" Bars show prompt variant “{labels[0]}”; other variants are below."
    return caption + (
        " Bars show the “default” prompt variant and uncalibrated scores where"
        " available; other variants are below."
    )


def _variant_groups(results: list[MetricResult]) -> list[list[MetricResult]]:
    """Results of one metric grouped by (model, subset), kept where several variants exist."""
    groups: dict[tuple[str, str], list[MetricResult]] = {}
    for r in results:
        groups.setdefault((r.model, r.subset), []).append(r)
    return [g for g in groups.values() if len({(r.variant, r.calibration) for r in g}) > 1]


def _spread_row(group: list[MetricResult]) -> _SpreadRow:
    first = group[0]
    finite = [r for r in group if math.isfinite(r.value)]
    low = min(finite, key=lambda r: r.value, default=None)
    high = max(finite, key=lambda r: r.value, default=None)
    spread = "n/a"
    if low is not None and high is not None and len(finite) >= 2:
        spread = _number(high.value - low.value)
    return _SpreadRow(
        model=first.model,
        subset=first.subset,
        metric=first.metric,
        values=[_VariantValue(_variant_label(r), _number(r.value)) for r in group],
        low=_number(low.value) if low else "n/a",
        low_label=_variant_label(low) if low else "",
        high=_number(high.value) if high else "n/a",
        high_label=_variant_label(high) if high else "",
        spread=spread,
    )


def _bar_chart(
    results: list[MetricResult], metric: str, models: list[str], colours: dict[str, str]
) -> str:
    """Grouped bars (one colour per model) per subset, with CI error bars and baselines."""
    subsets = _unique(r.subset for r in results)
    shown_models = [m for m in models if any(r.model == m for r in results)]
    by_key = {(r.model, r.subset): r for r in results}
    width = 0.8 / len(shown_models)

    fig = Figure(figsize=(min(11.0, 2.4 + 1.1 * len(subsets) * len(shown_models) ** 0.5), 3.4))
    ax = fig.add_subplot()
    has_chance = has_majority = False
    for i, model in enumerate(shown_models):
        xs, heights = [], []
        for j, subset in enumerate(subsets):
            r = by_key.get((model, subset))
            if r is None:
                continue
            x = j - 0.4 + width * (i + 0.5)
            if math.isfinite(r.value):
                xs.append(x)
                heights.append(r.value)
                if _finite(r.ci_low, r.ci_high):
                    below = max(0.0, r.value - r.ci_low)
                    above = max(0.0, r.ci_high - r.value)
                    ax.errorbar(
                        x,
                        r.value,
                        yerr=[[below], [above]],
                        fmt="none",
                        ecolor="#333333",
                        elinewidth=1,
                        capsize=3,
                        zorder=3,
                    )
            else:
                ax.text(x, 0.02, "n/a", ha="center", va="bottom", fontsize=8, color="#666666")
            # Baselines are drawn per bar: they may differ between subsets (and,
            # with different item counts, between models); adjacent equal ones
            # join into one line across the group.
            if r.chance is not None:
                has_chance = True
                ax.hlines(
                    r.chance,
                    x - width / 2,
                    x + width / 2,
                    colors=_CHANCE_COLOUR,
                    linestyles="--",
                    linewidth=1.4,
                    zorder=4,
                )
            if r.majority is not None:
                has_majority = True
                ax.hlines(
                    r.majority,
                    x - width / 2,
                    x + width / 2,
                    colors=_MAJORITY_COLOUR,
                    linestyles=":",
                    linewidth=2,
                    zorder=4,
                )
        ax.bar(xs, heights, width=width * 0.95, color=colours[model], zorder=2)

    ax.set_xticks(range(len(subsets)))
    long_labels = len(subsets) > 6 or any(len(s) > 14 for s in subsets)
    if long_labels:
        ax.set_xticklabels(subsets, rotation=25, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticklabels(subsets)
    ax.set_xlim(-0.5, len(subsets) - 0.5)
    ax.set_ylabel(metric)
    if _all_in_unit_interval(results):
        ax.set_ylim(0, 1.02)
    tidy_axes(ax, grid_axis="y")

    handles: list[Patch | Line2D] = [Patch(color=colours[m], label=m) for m in shown_models]
    if has_chance:
        handles.append(Line2D([], [], color=_CHANCE_COLOUR, linestyle="--", label="chance"))
    if has_majority:
        handles.append(
            Line2D([], [], color=_MAJORITY_COLOUR, linestyle=":", linewidth=2, label="majority")
        )
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9
    )
    return png_data_uri(fig)


def _spread_chart(groups: list[list[MetricResult]], metric: str) -> str:
    """A dot plot: one row per (model, subset), one point per prompt variant/calibration."""
    labels = _unique(_variant_label(r) for g in groups for r in g)
    styles = {label: _VARIANT_STYLES[i % len(_VARIANT_STYLES)] for i, label in enumerate(labels)}

    fig = Figure(figsize=(7.0, 0.9 + 0.42 * len(groups)))
    ax = fig.add_subplot()
    has_chance = False
    for y, group in enumerate(groups):
        finite = [r.value for r in group if math.isfinite(r.value)]
        if len(finite) >= 2:
            ax.hlines(y, min(finite), max(finite), colors="#cccccc", linewidth=6, zorder=1)
        for r in group:
            if math.isfinite(r.value):
                colour, marker = styles[_variant_label(r)]
                ax.plot(r.value, y, marker, color=colour, markersize=7, alpha=0.9, zorder=3)
        chances = {r.chance for r in group if r.chance is not None}
        for chance in chances:
            has_chance = True
            ax.plot(chance, y, "|", color=_CHANCE_COLOUR, markersize=14, zorder=2)

    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([_spread_label(g) for g in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_xlabel(metric)
    if _all_in_unit_interval([r for g in groups for r in g]):
        ax.set_xlim(0, 1)
    tidy_axes(ax, grid_axis="x")

    handles = [
        Line2D([], [], marker=styles[label][1], linestyle="", color=styles[label][0], label=label)
        for label in labels
    ]
    if has_chance:
        handles.append(
            Line2D(
                [],
                [],
                marker="|",
                linestyle="",
                markersize=12,
                color=_CHANCE_COLOUR,
                label="chance",
            )
        )
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9
    )
    return png_data_uri(fig)


def _spread_label(group: list[MetricResult]) -> str:
    """The row label of a dot plot row, naming the variants that have no value to plot."""
    label = f"{group[0].model} · {group[0].subset}"
    missing = [_variant_label(r) for r in group if not math.isfinite(r.value)]
    return label + (f"\n(n/a: {', '.join(missing)})" if missing else "")


def _all_in_unit_interval(results: Iterable[MetricResult]) -> bool:
    values = []
    for r in results:
        values += [r.value, r.ci_low, r.ci_high]
        values += [b for b in (r.chance, r.majority) if b is not None]
    return all(0.0 <= v <= 1.0 for v in values if math.isfinite(v))


def tidy_axes(ax: Axes, grid_axis: Literal["x", "y"]) -> None:
    ax.grid(True, axis=grid_axis, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def png_data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
