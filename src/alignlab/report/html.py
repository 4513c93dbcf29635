"""Render metric results as one self-contained HTML file: inline CSS, charts as base64 PNG.

Every piece of markup comes from the Jinja2 templates in ``templates/``:
``report.html.j2`` lays out the page, ``partials/table.html.j2`` is the one
table (every table of the page goes through it), ``partials/section.html.j2``
renders an analysis' :class:`~alignlab.report.sections.Section`. Python only
prepares data: every number shown is formatted by :mod:`alignlab.report.format`.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import jinja2
import markupsafe

from alignlab.report import format as fmt
from alignlab.report import glossary
from alignlab.report.profile import FamilyLine, ProfileChart, profile_chart
from alignlab.report.results import MetricResult
from alignlab.report.sections import Cell, Heading, Link, Section, Styled, Table, Text
from alignlab.report.sections import Figure as SectionFigure

if TYPE_CHECKING:  # matplotlib is imported where a chart is drawn (~0.4 s of start-up)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

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

BUNDLED_DATA = "bundled"
"""``MetricResult.data`` of rows computed on data written by this project."""
BUNDLED_DATA_NOTE = (
    "Rows marked “bundled” in the data column were computed on data written by this "
    "project, with constructed labels, not on the papers' public data: they show that the "
    "pipeline works and are not comparable with published numbers."
)
_BUNDLED_TITLE = "data written by this project, labels constructed"
_CHANCE_TITLE = "95% CI includes chance"


@dataclass(frozen=True)
class ExtraSection:
    """A report section rendered elsewhere: a title and a ready, escaped HTML fragment.

    Deprecated: analyses return :class:`~alignlab.report.sections.Section`
    objects, which the templates render. Kept while the family analyses move.
    """

    title: str
    html: str


@dataclass(frozen=True)
class Group:
    """One benchmark family's part of the page: its rows, sections and warnings.

    ``headline`` is the (subset or None, metric) of the row the profile shows
    for the family (see :func:`headline_rows`).
    """

    name: str
    title: str
    results: Sequence[MetricResult] = ()
    sections: Sequence[Section | ExtraSection] = ()
    warnings: Sequence[str] = ()
    headline: tuple[str | None, str] | None = None
    degenerate: Sequence[str] = ()
    """One line per degenerate run (see :mod:`alignlab.report.degenerate`)."""
    degenerate_logs: frozenset[str] = frozenset()
    """The log files of those runs: their rows are greyed and never coloured."""


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
    extra: tuple[str, ...]
    intervention: str
    data: str
    degenerate: bool = False


@dataclass(frozen=True)
class _Chart:
    """One embedded chart: a ``data:image/png;base64,...`` URI, its caption and alt text."""

    caption: str
    src: str
    alt: str


@dataclass(frozen=True)
class _TaskSection:
    task: str
    anchor: str
    table: Table
    n_rows: int
    n_near_chance: int
    charts: list[_Chart]
    spread: Table | None
    spread_charts: list[_Chart]


@dataclass(frozen=True)
class _Part:
    """A section inside a group: a structured :class:`Section` or a legacy HTML fragment."""

    title: str
    section: Section | None = None
    html: markupsafe.Markup | None = None


@dataclass(frozen=True)
class _GroupView:
    name: str
    title: str
    anchor: str
    tasks: list[_TaskSection]
    parts: list[_Part]
    warnings: list[str]
    n_rows: int
    n_near_chance: int
    degenerate: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Profile:
    model: str
    table: Table


@dataclass
class _Page:
    groups: list[_GroupView] = field(default_factory=list)
    profiles: list[_Profile] = field(default_factory=list)
    profile_chart: _Chart | None = None
    profile_svg: ProfileChart | None = None
    loose: list[_Part] = field(default_factory=list)
    degenerate: list[str] = field(default_factory=list)


def render_report(
    results: Sequence[MetricResult] = (),
    *,
    title: str = "alignlab report",
    notes: Sequence[str] = (),
    generated_at: str | None = None,
    extra_sections: Sequence[Section | ExtraSection] = (),
    groups: Sequence[Group] = (),
    warnings: Sequence[str] = (),
) -> str:
    """Render report rows as one self-contained HTML page.

    The page opens with a profile per model: one line per family with its
    headline metric, 95% CI, chance baseline and a "≈ chance" mark, and a
    chart of those lines for every model. Then come the details, one
    collapsible part per family: per task, a summary table (every row whose
    95% CI includes chance carries a "≈ chance" badge), one bar chart per
    metric with CI error bars and the chance and majority baselines, and,
    where a result was measured under several prompt variants or
    calibrations, a table and chart of the spread across them; then the
    family's own sections. Nothing is loaded from outside the file.

    Args:
        results: rows not in any of ``groups``; each task of theirs becomes
            its own part. Tasks, models and subsets keep the order in which
            they first appear.
        title: the page title and heading.
        notes: caveats shown under the heading, e.g. that a tiny model is near
            chance and demonstrates the pipeline rather than a value profile.
        generated_at: the time to print; defaults to now, in UTC.
        extra_sections: sections shown after the families' parts, or inside
            the part of the family a :class:`Section` names. An
            :class:`ExtraSection`'s ``html`` (deprecated) must already be
            escaped and self-contained.
        groups: the families' parts, in order.
        warnings: problems met while building the report (unreadable logs, a
            failed analysis), shown at the top with their count.

    Returns:
        The HTML document as a string.
    """
    all_groups = list(groups) + [
        Group(task, task, [r for r in results if r.task == task])
        for task in _unique(r.task for r in results)
    ]
    rows = [r for g in all_groups for r in g.results]
    models = _unique(r.model for r in rows)
    colours = {model: PALETTE[i % len(PALETTE)] for i, model in enumerate(models)}
    page = _Page()
    by_name = {g.name: g for g in all_groups}
    attached: dict[str, list[Section | ExtraSection]] = {}
    for extra in extra_sections:
        family = getattr(extra, "family", "")
        if family and family in by_name:
            attached.setdefault(family, []).append(extra)
        else:
            page.loose.append(_part(extra))
    for group in all_groups:
        sections = [*group.sections, *attached.get(group.name, [])]
        if group.results or sections or group.warnings or group.degenerate:
            page.groups.append(_group_view(group, sections, models, colours))
        page.degenerate.extend(group.degenerate)
    lines = [
        (group, model, headline_rows(group, model))
        for model in models
        for group in all_groups
        if group.results
    ]
    for model in models:
        mine = [(g, found) for g, m, found in lines if m == model and found]
        page.profiles.append(_Profile(model, _profile_table(mine)))
    page.profile_svg = profile_chart(
        [
            FamilyLine(g.title, "family-" + _slug(g.name), found)
            for g in all_groups
            if (found := [r for m in models for r in headline_rows(g, m)])
        ],
        colours,
    )
    chart_lines = _profile_chart_lines(all_groups, models)
    # With one model every line of this chart is one bar: the profile table says it better.
    if chart_lines and len(models) > 1:
        page.profile_chart = _Chart(
            caption="Each family's headline metric per model, with its 95% CI (bars) and "
            "chance (dashed black); every line has its own scale.",
            src=_profile_chart(chart_lines, colours),
            alt="headline metric per family and model",
        )
    if generated_at is None:
        generated_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    all_notes = list(notes)
    if any(r.data == BUNDLED_DATA for r in rows):
        all_notes.append(BUNDLED_DATA_NOTE)
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        generated_at=generated_at,
        models=models,
        notes=all_notes,
        warnings=list(warnings),
        page=page,
        n_results=len(rows),
        n_tasks=sum(len(g.tasks) for g in page.groups),
        definitions=glossary.definitions(
            [r.metric for r in rows] + sorted({k for r in rows for k in r.extra})
        ),
    )


def write_report(
    results: Sequence[MetricResult] = (), path: str | Path = "report.html", **options: Any
) -> Path:
    """Render ``results`` with :func:`render_report` (``options`` are its keyword arguments)
    and write the page to ``path`` as UTF-8.

    Parent directories are created. Returns the path written.
    """
    out = Path(path)
    html = render_report(results, **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


# --- the profile ---------------------------------------------------------------------------------


def headline_rows(group: Group, model: str) -> list[MetricResult]:
    """The rows the profile shows for ``model`` in ``group``: the headline, per intervention.

    The headline is the row with the group's headline metric (and subset,
    when it names one; a subset also matches rows whose subset starts with it
    and a space, as in ``average test_hard``), else the model's first row.
    Among candidates, an uncalibrated, finite row of the default prompt
    variant (``default`` or ``paper``, else the first seen) wins. The run
    without intervention comes first, then one row per intervention.
    """
    mine = [r for r in group.results if r.model == model]
    if not mine:
        return []
    candidates = mine
    if group.headline is not None:
        subset, metric = group.headline
        of_metric = [r for r in mine if r.metric == metric]
        if subset is not None:
            exact = [r for r in of_metric if r.subset == subset]
            of_metric = exact or [r for r in of_metric if r.subset.startswith(subset + " ")]
        candidates = of_metric or mine
    variants = _unique(r.variant for r in candidates)
    first_variant = next((v for v in _DEFAULT_VARIANTS if v in variants), variants[0])

    def rank(item: tuple[int, MetricResult]) -> tuple[bool, bool, bool, int]:
        i, r = item
        return (r.calibration != "none", r.variant != first_variant, not math.isfinite(r.value), i)

    best: dict[str, tuple[tuple[bool, bool, bool, int], MetricResult]] = {}
    for item in enumerate(candidates):
        key = item[1].intervention
        if key not in best or rank(item) < best[key][0]:
            best[key] = (rank(item), item[1])
    order = sorted(best, key=lambda k: (k != "none", best[k][0][3]))
    return [best[k][1] for k in order]


_DEFAULT_VARIANTS = ("default", "paper")
"""The names tasks give their default prompt wording: the profile shows these first."""

_PROFILE_COLUMNS = ("family", "task · subset", "metric", "value", "95% CI", "chance", "n", "data")


def _profile_table(lines: list[tuple[Group, list[MetricResult]]]) -> Table:
    rows: list[tuple[Cell, ...]] = []
    row_css: list[str] = []
    for group, found in lines:
        for r in found:
            degenerate = _from_degenerate(r, group.degenerate_logs)
            label = group.title if r.intervention == "none" else f"{group.title} + {r.intervention}"
            where = r.task if r.subset in ("", r.task) else f"{r.task} · {r.subset}"
            rows.append(
                (
                    label,
                    where,
                    r.metric_label,
                    Styled(
                        fmt.num(r.value),
                        css="value" if degenerate else f"value {_value_class(r)}".strip(),
                        note="degenerate run"
                        if degenerate
                        else ("≈ chance" if r.ci_includes_chance else ""),
                        note_css="near-chance-mark",
                        note_title=_CHANCE_TITLE,
                    ),
                    fmt.result_interval(r),
                    fmt.num(r.chance),
                    r.n,
                    _data_cell(r.data),
                )
            )
            css = "profile-line near-chance" if r.ci_includes_chance else "profile-line"
            row_css.append(css + (" degenerate" if degenerate else ""))
    return Table.of(_PROFILE_COLUMNS, rows, numeric=(3, 4, 5, 6), css="profile", row_css=row_css)


def _profile_chart_lines(
    groups: Sequence[Group], models: list[str]
) -> list[tuple[str, list[MetricResult]]]:
    """Chart lines: per family (and intervention), every model's headline row."""
    lines: dict[str, list[MetricResult]] = {}
    for group in groups:
        for model in models:
            for r in headline_rows(group, model):
                label = group.title
                if r.intervention != "none":
                    label += f" + {r.intervention}"
                lines.setdefault(f"{label}\n{r.metric_label}", []).append(r)
    return list(lines.items())


def _data_cell(data: str) -> Styled:
    if data == BUNDLED_DATA:
        return Styled("bundled", css="bundled-data", title=_BUNDLED_TITLE)
    return Styled(data, css="public-data")


# --- per task ------------------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape: the template ends in ".j2", which
    # select_autoescape would not recognise as HTML and so would not escape.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alignlab.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = cell
    env.tests["styled"] = lambda v: isinstance(v, Styled)
    for block in (Heading, Text, Table, SectionFigure):
        env.tests[block.__name__.lower()] = _is_a(block)
    return env


def _is_a(kind: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, kind)


def cell(value: Cell) -> str | markupsafe.Markup:
    """The ``cell`` filter: a table cell as text; numbers through :mod:`alignlab.report.format`,
    a tuple of strings one per line."""
    if isinstance(value, Styled):
        return cell(value.value)
    if isinstance(value, Link):
        return _link(value)
    if isinstance(value, tuple):
        if value and all(isinstance(v, Link) for v in value):
            return markupsafe.Markup(" ").join(_link(v) for v in value if isinstance(v, Link))
        return markupsafe.Markup("<br>").join(str(v) for v in value)
    return fmt.text(value)


def _link(link: Link) -> markupsafe.Markup:
    title = markupsafe.Markup(' title="{}"').format(link.title) if link.title else ""
    return markupsafe.Markup('<a href="{}"{}>{}</a>').format(link.href, title, link.text)


def _group_view(
    group: Group,
    sections: Sequence[Section | ExtraSection],
    models: list[str],
    colours: dict[str, str],
) -> _GroupView:
    tasks = [
        _task_section(
            task,
            [r for r in group.results if r.task == task],
            models,
            colours,
            group.degenerate_logs,
        )
        for task in _unique(r.task for r in group.results)
    ]
    return _GroupView(
        name=group.name,
        title=group.title,
        anchor="family-" + _slug(group.name),
        tasks=tasks,
        parts=[_part(s) for s in sections],
        warnings=list(group.warnings),
        n_rows=sum(t.n_rows for t in tasks),
        n_near_chance=sum(t.n_near_chance for t in tasks),
        degenerate=list(group.degenerate),
    )


def _part(section: Section | ExtraSection) -> _Part:
    if isinstance(section, ExtraSection):
        return _Part(section.title, html=markupsafe.Markup(section.html))
    return _Part(section.title, section=section)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def _task_section(
    task: str,
    results: list[MetricResult],
    models: list[str],
    colours: dict[str, str],
    degenerate_logs: frozenset[str] = frozenset(),
) -> _TaskSection:
    metrics = _unique(r.metric for r in results)
    subsets = _unique(r.subset for r in results)
    order = sorted(
        results,
        key=lambda r: (metrics.index(r.metric), subsets.index(r.subset), models.index(r.model)),
    )
    rows = [_row(r, _from_degenerate(r, degenerate_logs)) for r in order]
    charts = []
    spread_groups: list[list[MetricResult]] = []
    spread_charts = []
    for metric in metrics:
        of_metric = [r for r in order if r.metric == metric]
        shown = _chart_results(of_metric)
        # No empty chart, and no chart of one bar: the table's number says it better.
        if sum(math.isfinite(r.value) for r in shown) >= MIN_BARS:
            charts.append(
                _Chart(
                    caption=_chart_caption(shown, of_metric),
                    src=_bar_chart(shown, metric, models, colours),
                    alt=f"{metric} per subset for {task}",
                )
            )
        groups = [g for g in _variant_groups(of_metric) if _spread_of(g) != 0.0]
        if groups:
            spread_groups.extend(groups)
            spread_charts.append(
                _Chart(
                    caption=f"{metric}: each point is one prompt variant or calibration; "
                    "the grey bar spans min to max.",
                    src=_spread_chart(groups, metric),
                    alt=f"{metric} across prompt variants for {task}",
                )
            )
    return _TaskSection(
        task=task,
        anchor="task-" + _slug(task),
        table=_summary_table(rows, one_model=len(models) == 1),
        n_rows=len(rows),
        n_near_chance=sum(r.near_chance for r in rows),
        charts=charts,
        spread=_spread_table(spread_groups, len(models) == 1) if spread_groups else None,
        spread_charts=spread_charts,
    )


MIN_BARS = 2
"""Fewest finite values before a metric gets a bar chart."""


def _spread_of(group: list[MetricResult]) -> float:
    """Max minus min of a spread group's finite values (NaN below two)."""
    finite = [r.value for r in group if math.isfinite(r.value)]
    return max(finite) - min(finite) if len(finite) >= 2 else math.nan


def _details(extra: dict[str, float]) -> tuple[str, ...]:
    """The details cell: one named value per line, in the glossary's words."""
    return tuple(f"{glossary.detail_label(k)}: {fmt.num(v)}" for k, v in sorted(extra.items()))


def _value_class(r: MetricResult) -> str:
    """``above`` (green): the CI beats chance and the majority baseline on the metric's good
    side; ``below`` (amber): it lies on the wrong side of chance (see ``MetricResult.verdict``)."""
    return {"better": "above", "worse": "below"}.get(r.verdict, "")


def _from_degenerate(r: MetricResult, logs: frozenset[str]) -> bool:
    """Whether a row comes from a degenerate run (a row over several logs lists them all)."""
    return bool(logs) and any(f.strip() in logs for f in r.log_file.split(","))


def _row(r: MetricResult, degenerate: bool = False) -> _Row:
    return _Row(
        degenerate=degenerate,
        model=r.model,
        subset=r.subset,
        metric=r.metric_label,
        variant=r.variant,
        calibration=r.calibration,
        value=fmt.num(r.value),
        value_class="" if degenerate else _value_class(r),
        ci=fmt.result_interval(r),
        n=str(r.n),
        unparsed=fmt.pct(r.unparsed_rate),
        # Unparsed answers count as wrong, so a high rate drags the score down
        # for reasons that have nothing to do with the model's values.
        unparsed_high=math.isfinite(r.unparsed_rate) and r.unparsed_rate >= 0.1,
        chance=fmt.num(r.chance),
        majority=fmt.num(r.majority),
        scoring=r.scoring,
        near_chance=r.ci_includes_chance,
        log_file=r.log_file,
        extra=_details(r.extra),
        intervention=r.intervention,
        data=r.data,
    )


_SUMMARY_COLUMNS = (
    "model",
    "subset",
    "metric",
    "variant",
    "calibration",
    "value",
    "95% CI",
    "n",
    "unparsed",
    "chance",
    "majority",
    "scoring",
)


def _summary_table(rows: list[_Row], one_model: bool = False) -> Table:
    """The per-task table; an intervention column only where a row has an intervention, and
    no model column when the page is about one model (the header names it)."""
    with_intervention = any(r.intervention != "none" for r in rows)
    first = 1 if one_model else 0
    columns = [
        *_SUMMARY_COLUMNS[first:],
        *(["intervention"] if with_intervention else []),
        "data",
    ]
    cells: list[tuple[Cell, ...]] = []
    for r in rows:
        line: list[Cell] = [
            *([] if one_model else [Styled(r.model, title=r.log_file)]),
            Styled(r.subset, title=r.log_file) if one_model else r.subset,
            r.metric,
            r.variant,
            r.calibration,
            Styled(
                r.value,
                css=f"value {r.value_class}".strip(),
                note="≈ chance" if r.near_chance else "",
                note_css="chance-badge",
                note_title=_CHANCE_TITLE,
            ),
            Styled(r.ci, css="ci"),
            r.n,
            Styled(r.unparsed, css="unparsed-high" if r.unparsed_high else ""),
            r.chance,
            r.majority,
            r.scoring,
        ]
        if with_intervention:
            line.append(
                Styled(r.intervention, css="" if r.intervention == "none" else "intervened")
            )
        line.append(_data_cell(r.data))
        cells.append((*line, Styled(r.extra, css="extra")))
    return Table.of(
        [*columns, "details"],
        cells,
        numeric=tuple(k - first for k in (5, 6, 7, 8, 9, 10)),
        css="summary",
        row_css=[
            " ".join(
                [
                    "result",
                    *(["near-chance"] if r.near_chance else []),
                    *(["degenerate"] if r.degenerate else []),
                ]
            )
            for r in rows
        ],
    )


def _spread_table(groups: list[list[MetricResult]], one_model: bool = False) -> Table:
    """Min / max / spread of each (model, subset, metric) across prompt variants (no model
    column when the page is about one model)."""
    rows: list[tuple[Cell, ...]] = []
    for group in groups:
        first = group[0]
        finite = [r for r in group if math.isfinite(r.value)]
        low = min(finite, key=lambda r: r.value, default=None)
        high = max(finite, key=lambda r: r.value, default=None)
        spread = "n/a"
        if low is not None and high is not None and len(finite) >= 2:
            spread = fmt.num(high.value - low.value)
        rows.append(
            (
                first.model,
                first.subset,
                first.metric,
                Styled(
                    tuple(f"{_variant_label(r)} {fmt.num(r.value)}" for r in group),
                    css="variants",
                ),
                _extreme(low),
                _extreme(high),
                Styled(spread, css="spread"),
            )[1 if one_model else 0 :]
        )
    columns = ("model", "subset", "metric", "values per variant", "min", "max", "spread")
    skip = 1 if one_model else 0
    return Table.of(
        columns[skip:],
        rows,
        numeric=tuple(k - skip for k in (4, 5, 6)),
        css="variant-spread",
        row_css=["spread-row"] * len(rows),
    )


def _extreme(r: MetricResult | None) -> Styled:
    if r is None:
        return Styled("n/a")
    return Styled(fmt.num(r.value), note=f" ({_variant_label(r)})", note_css="extra")


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


def _bar_chart(
    results: list[MetricResult], metric: str, models: list[str], colours: dict[str, str]
) -> str:
    """Grouped bars (one colour per model) per subset, with CI error bars and baselines."""
    subsets = _unique(r.subset for r in results)
    shown_models = [m for m in models if any(r.model == m for r in results)]
    by_key = {(r.model, r.subset): r for r in results}
    width = 0.8 / len(shown_models)

    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

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
            has_chance |= r.chance is not None
            has_majority |= r.majority is not None
            baselines: tuple[tuple[float | None, str, Literal["--", ":"], float], ...] = (
                (r.chance, _CHANCE_COLOUR, "--", 1.4),
                (r.majority, _MAJORITY_COLOUR, ":", 2),
            )
            for value, colour, style, line_width in baselines:
                if value is not None:
                    ax.hlines(
                        value,
                        x - width / 2,
                        x + width / 2,
                        colors=colour,
                        linestyles=style,
                        linewidth=line_width,
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

    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

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


def _profile_chart(lines: list[tuple[str, list[MetricResult]]], colours: dict[str, str]) -> str:
    """One row per family line, each on its own scale: every model's headline value as a dot
    with its 95% CI, and chance as a dashed black line."""
    unit = [_all_in_unit_interval(rows) for _, rows in lines]
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(7.5, 0.4 + 0.6 * len(lines)))
    axes = fig.subplots(len(lines), 1, squeeze=False, gridspec_kw={"hspace": 0.7})[:, 0]
    models: list[str] = []
    for i, (ax, (label, rows)) in enumerate(zip(axes, lines, strict=True)):
        for y, r in enumerate(rows):
            if r.model not in models:
                models.append(r.model)
            if not math.isfinite(r.value):
                continue
            xerr = None
            if _finite(r.ci_low, r.ci_high):
                xerr = [[max(0.0, r.value - r.ci_low)], [max(0.0, r.ci_high - r.value)]]
            ax.errorbar(
                r.value, y, xerr=xerr, fmt="o", color=colours[r.model], markersize=6, capsize=3
            )
        for chance in {r.chance for r in rows if r.chance is not None}:
            ax.axvline(chance, color=_CHANCE_COLOUR, linestyle="--", linewidth=1.2, zorder=1)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        if unit[i]:
            ax.set_xlim(-0.02, 1.02)
        else:
            ax.margins(x=0.15)
        tidy_axes(ax, grid_axis="x")
        ax.tick_params(labelsize=8)
        ax.spines["left"].set_visible(False)
        # Rows on the unit interval share the scale: only the last of a run shows it.
        if unit[i] and i + 1 < len(lines) and unit[i + 1]:
            ax.tick_params(labelbottom=False)
    handles = [Line2D([], [], marker="o", linestyle="", color=colours[m], label=m) for m in models]
    handles.append(Line2D([], [], linestyle="--", color=_CHANCE_COLOUR, label="chance"))
    axes[0].legend(
        handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False, fontsize=9
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
