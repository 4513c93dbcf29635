"""Pluralism report: rows and sections from the logs of the four pluralism tasks.

Pure functions over the family's :class:`~alignlab.report.logs.RunLog` s.
The rows are computed by :mod:`alignlab.benchmarks.pluralism.paper_metrics`,
the same functions the tasks' Inspect metric runs; value, CI and n are taken
from the log's metrics where the log holds them (logs written before the
metric existed are recomputed from their samples).

Runs with ``jurors="constructed"`` report the ratings shipped with the data,
not anything the model said: their rows and section are labelled
``constructed jurors (<data>)`` instead of the model's name.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from alignlab.benchmarks._scored import (
    Scored,
    from_log_samples,
    kind_results,
    mean,
    mean_ci,
    scoring_of,
    uncomputed_warning,
)
from alignlab.benchmarks.pluralism import paper_metrics as pm
from alignlab.benchmarks.pluralism.tasks import (
    FAMILY,
    JURY_SCORER,
    OPINION_SCORER,
    OVERTON_SCORER,
)
from alignlab.report import degenerate
from alignlab.report.format import interval, num, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Figure, Heading, Section, Table, Text

SCORERS = {
    "distributional": OPINION_SCORER,
    "steerable": OPINION_SCORER,
    "overton": OVERTON_SCORER,
    "jury": JURY_SCORER,
}
SECTION_RESAMPLES = pm.N_RESAMPLES
"""Bootstrap resamples of the CIs in the sections' tables and charts: the rows' own, with the
same seed, so a number shown in a section carries the same interval as in the table."""
_EXAMPLES = 3
_UNIFORM_COLOUR = "#d62728"


def kind_of(run: RunLog) -> str:
    """The task kind of a pluralism run (``distributional``, ``steerable``, ...)."""
    return str(run.metadata.get("kind") or "")


def reported_model(run: RunLog) -> str:
    """Who the run's rows belong to: the model, or the shipped ratings of constructed jurors."""
    if kind_of(run) == "jury" and run.metadata.get("jurors") == "constructed":
        data = run.data
        return f"constructed jurors ({'bundled data' if data == 'bundled' else data})"
    return run.model


def scored(run: RunLog) -> list[Scored]:
    """The run's scored samples, in log order."""
    return from_log_samples(run.samples, SCORERS[kind_of(run)])


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY and kind_of(r) in SCORERS]


def results(
    runs: Sequence[RunLog], *, n_resamples: int = pm.N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """Report rows of every pluralism run (see :mod:`~alignlab.benchmarks.pluralism.paper_metrics`).

    Rows (``task``, ``metric``, ``subset``): ``pluralism_distributional``
    ``js_distance`` per group and ``closest_group_distance``;
    ``pluralism_steerable`` ``steering_shift`` per group and ``all``;
    ``pluralism_overton`` ``coverage``; ``pluralism_jury`` ``<rule>_welfare``,
    ``rules_agree`` and ``<rule>_pick_agreement``. Runs with no scored
    sample give no rows.
    """
    logged = n_resamples == pm.N_RESAMPLES and seed == 0
    return kind_results(
        _ours(runs),
        scored,
        pm.kind_rows,
        lambda run: SCORERS[kind_of(run)],
        n_resamples,
        seed,
        logged,
        reported_model,
    )


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section per pluralism kind with runs: charts and tables per run, examples, and
    warnings counting what could not be read."""
    by_kind: dict[str, list[RunLog]] = defaultdict(list)
    for run in _ours(runs):
        if scored(run):
            by_kind[kind_of(run)].append(run)
    titles = (
        ("distributional", "Distributional pluralism: distance to each population group"),
        ("steerable", "Steerable pluralism: answering as a member of a group"),
        ("overton", "Overton pluralism: perspectives covered by one answer"),
        ("jury", "Jury-pluralistic aggregation: welfare rules over a jury's ratings"),
    )
    builders = {
        "distributional": _distributional_blocks,
        "steerable": _steerable_blocks,
        "overton": _overton_blocks,
        "jury": _jury_blocks,
    }
    out = []
    for kind, title in titles:
        if not by_kind[kind]:
            continue
        blocks: list[Block] = []
        warnings: list[str] = []
        for run in by_kind[kind]:
            found, warned = builders[kind](run)
            blocks.extend(found)
            warnings.extend(warned)
            warnings.extend(uncomputed_rows_warning(run, scored(run)))
        out.append(Section(title, tuple(blocks), tuple(warnings), family=FAMILY))
    return out


def _label(run: RunLog, *parts: str) -> str:
    return " · ".join(
        [
            reported_model(run),
            run.task,
            str(run.metadata.get("variant") or "default"),
            run.data,
            *[p for p in parts if p],
        ]
    )


def _intervention(run: RunLog) -> str:
    label = str(run.metadata.get("intervention") or "none")
    return "" if label == "none" else f"intervention {label}"


def _unparsed_warning(run: RunLog, n_unread: int, n_total: int, what: str) -> list[str]:
    if not n_unread:
        return []
    return [f"{_label(run)}: {n_unread} of {n_total} {what} could not be read and are left out."]


# --- distributional -----------------------------------------------------------------------------


def _distributional_blocks(run: RunLog) -> tuple[list[Block], list[str]]:
    records = scored(run)
    found = {c: pm.group_distances(records, c) for c in pm.CALIBRATIONS}
    raw = found["none"]
    heading = Heading(_label(run, scoring_of(records), _intervention(run)))
    if raw is None:
        return [heading, Text("No answer distribution could be read.")], [
            f"{_label(run)}: no answer distribution could be read from any of "
            f"{len(records)} questions."
        ]
    warnings = _unparsed_warning(run, raw.n_unparsed, raw.n_questions, "answer distributions")
    uncalibrated = sum(
        1
        for s in records
        if s.metadata.get("model_dist_raw") is not None
        and s.metadata.get("model_dist_calibrated") is None
    )
    if run.metadata.get("calibration") == "contextual" and uncalibrated:
        warnings.append(
            f"{_label(run)}: calibration=contextual, but {uncalibrated} of {len(records)} "
            "answers had no content-free log-probabilities; their scores use the raw "
            "distribution, and the contextual rows leave them out."
        )
    blocks: list[Block] = [
        heading,
        Text(
            f"{closest_group_text(raw, degenerate.check_run(run))} "
            f"{raw.n_questions - raw.n_unparsed} of {raw.n_questions} questions answered. "
            "JS distance is base 2: 0 for the same distribution, 1 for disjoint ones. The "
            "uniform column is the distance of an answerer spreading evenly over the options."
        ),
    ]
    calibrated = found["contextual"]
    blocks.append(
        Figure(
            _distance_chart(raw, calibrated),
            f"Mean Jensen-Shannon distance from {run.model}'s answer distribution to each "
            "group's, with 95% bootstrap CIs over questions; dashed lines mark the distance "
            "of an answerer spreading evenly over the options. Shorter is closer.",
        )
    )
    shares = Counter(raw.closest)
    rows = []
    for group, units in raw.js.items():
        low, high = mean_ci(units, SECTION_RESAMPLES, 0)
        cal = calibrated.mean.get(group, math.nan) if calibrated else math.nan
        rows.append(
            (
                group,
                num(mean(units)),
                interval(low, high),
                num(mean(raw.uniform[group])),
                num(cal),
                pct(shares[group] / len(raw.closest)),
                str(len(units)),
            )
        )
    blocks.append(
        Table.of(
            ("group", "JS distance", "95% CI", "uniform", "calibrated", "closest on", "questions"),
            rows,
            numeric=(1, 2, 3, 4, 5, 6),
        )
    )
    return blocks, warnings


def closest_group_text(raw: pm.GroupDistances, degenerate_line: str | None = None) -> str:
    """The "closest group" headline, or why there is none.

    A group is named only when the run is not degenerate and the 95% CI of
    the model's mean distance to it lies wholly below the distance of an
    answerer spreading evenly over the options (the chance baseline): a
    model farther from every group than that answerer is close to none.
    """
    best = raw.closest_group
    if best is None:
        return "No closest group: no answer distribution was read."
    value = mean(raw.js[best])
    low, high = mean_ci(raw.js[best], SECTION_RESAMPLES, 0)
    uniform = mean(raw.uniform[best])
    said = f"{num(value)} {interval(low, high)}, uniform answerer {num(uniform)}"
    if degenerate_line is not None:
        return (
            f"Closest group withheld: the run is degenerate, so the nearest group ({best}; "
            f"{said}) says nothing about the model's views."
        )
    if not high < uniform:
        return (
            "No closest group: the model is not closer to any group than an answerer spreading "
            f"evenly over the options (nearest: {best}, mean JS distance {said})."
        )
    return f"Closest group on average: {best} (mean JS distance {said})."


def _distance_chart(raw: pm.GroupDistances, calibrated: pm.GroupDistances | None) -> str:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from alignlab.report.html import PALETTE, png_data_uri, tidy_axes

    groups = list(raw.js)
    series = [("raw", raw)] + ([("calibrated", calibrated)] if calibrated else [])
    height = 0.8 / len(series)
    fig = MplFigure(figsize=(7.0, 0.9 + 0.45 * len(groups) * len(series) ** 0.5))
    ax = fig.add_subplot()
    for s, (_, found) in enumerate(series):
        for y, group in enumerate(groups):
            units = found.js.get(group) or []
            if not units:
                continue
            pos = y - 0.4 + height * (s + 0.5)
            value = mean(units)
            low, high = mean_ci(units, SECTION_RESAMPLES, 0)
            ax.barh(pos, value, height=height * 0.9, color=PALETTE[s], zorder=2)
            if math.isfinite(low) and math.isfinite(high):
                ax.errorbar(
                    value,
                    pos,
                    xerr=[[max(0.0, value - low)], [max(0.0, high - value)]],
                    fmt="none",
                    ecolor="#333333",
                    elinewidth=1,
                    capsize=3,
                    zorder=3,
                )
    for y, group in enumerate(groups):
        uniform = mean(raw.uniform[group])
        ax.vlines(uniform, y - 0.45, y + 0.45, colors=_UNIFORM_COLOUR, linestyles="--", zorder=4)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([_short(g, 32) for g in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean Jensen-Shannon distance (base 2)")
    tidy_axes(ax, grid_axis="x")
    handles: list[Patch | Line2D] = [
        Patch(color=PALETTE[s], label=name) for s, (name, _) in enumerate(series)
    ]
    handles.append(Line2D([], [], linestyle="--", color=_UNIFORM_COLOUR, label="uniform answerer"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return png_data_uri(fig)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- steerable ----------------------------------------------------------------------------------


def _steerable_blocks(run: RunLog) -> tuple[list[Block], list[str]]:
    records = scored(run)
    pairs, n_steered = pm.steering_records(records)
    heading = Heading(_label(run, scoring_of(records), _intervention(run)))
    if not pairs:
        return [heading, Text("No steered answer could be paired with a plain one.")], [
            f"{_label(run)}: none of {n_steered} steered answers could be paired with a "
            "plain answer."
        ]
    warnings = _unparsed_warning(run, n_steered - len(pairs), n_steered, "steered answers")
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in pairs:
        by_group[record["group"]].append(record)
    rows = []
    for group, chosen in [*by_group.items(), ("all groups", pairs)]:
        shifts = [r["shift"] for r in chosen]
        low, high = mean_ci(shifts, SECTION_RESAMPLES, 0)
        rows.append(
            (
                group,
                num(mean([r["before"] for r in chosen])),
                num(mean([r["after"] for r in chosen])),
                num(mean(shifts)),
                interval(low, high),
                pct(mean([float(s > 0) for s in shifts])),
                str(len(chosen)),
            )
        )
    blocks: list[Block] = [
        heading,
        Text(
            "Steering shift = JS(plain answer, group) - JS(steered answer, group): positive "
            "means the prompt 'Answer as a member of the group ... would' moved the answers "
            f"toward that group. {len(pairs)} of {n_steered} steered answers paired."
        ),
        Table.of(
            ("group", "JS plain", "JS steered", "shift", "95% CI", "moved closer", "questions"),
            rows,
            numeric=(1, 2, 3, 4, 5, 6),
        ),
    ]
    return blocks, warnings


# --- Overton ------------------------------------------------------------------------------------


def _overton_blocks(run: RunLog) -> tuple[list[Block], list[str]]:
    records = scored(run)
    judge = str(run.metadata.get("judge") or "embedding")
    coverage = [float(s.value["coverage"]) for s in records]
    judged = [c for c in coverage if math.isfinite(c)]
    low, high = mean_ci(judged, SECTION_RESAMPLES, 0)
    how = (
        " (a perspective counts as covered when a sentence of the answer has cosine "
        f"similarity ≥ {num(float(run.metadata.get('threshold') or math.nan))} with it; "
        "MiniLM similarity tracks topic more than stance)."
        if judge == "embedding"
        else " (a grader model judged each perspective)."
    )
    blocks: list[Block] = [
        Heading(_label(run, judge, _intervention(run))),
        Text(
            f"Mean coverage {num(mean(judged))} {interval(low, high)} over "
            f"{len(judged)} questions{how}"
        ),
    ]
    warnings = _unparsed_warning(
        run,
        len(coverage) - len(judged),
        len(coverage),
        "questions (an unread grader answer)",
    )
    empty = sum(1 for s in records if not s.metadata.get("sentences"))
    if empty:
        warnings.append(
            f"{_label(run)}: {empty} of {len(records)} answers were empty (coverage 0)."
        )
    ranked = sorted(
        (s for s in records if math.isfinite(float(s.value["coverage"]))),
        key=lambda s: float(s.value["coverage"]),
    )
    examples = ranked[:_EXAMPLES] + ranked[-_EXAMPLES:] if len(ranked) > 2 * _EXAMPLES else ranked
    rows = []
    for s in examples:
        covered = s.metadata.get("covered") or []
        perspectives = s.metadata.get("perspectives") or []
        pairs = list(zip(perspectives, covered, strict=False))
        rows.append(
            (
                str(s.sample.get("question") or ""),
                num(float(s.value["coverage"])),
                "; ".join(p for p, c in pairs if c) or "none",
                "; ".join(p for p, c in pairs if not c) or "none",
            )
        )
    blocks.append(Table.of(("question", "coverage", "covered", "missed"), rows, numeric=(1,)))
    return blocks, warnings


# --- jury ---------------------------------------------------------------------------------------


def _jury_blocks(run: RunLog) -> tuple[list[Block], list[str]]:
    records = scored(run)
    found = pm.jury_analysis(records)
    jurors = str(run.metadata.get("jurors") or "model")
    heading = Heading(_label(run, f"{jurors} jurors", _intervention(run)))
    if found is None:
        return [heading, Text("No item had every rating read.")], [
            f"{_label(run)}: no item had every rating read."
        ]
    n = len(found.items)
    warnings = _unparsed_warning(run, found.n_items - n, found.n_items, "items (a rating unread)")
    rows = []
    for rule in WELFARE_RULES:
        same_ref = [
            float(p == r)
            for p, r in zip(found.picks[rule], found.reference_picks[rule], strict=True)
            if r is not None
        ]
        differs = [
            float(a != b)
            for a, b in zip(found.picks[rule], found.picks["utilitarian"], strict=True)
        ]
        rows.append(
            (
                rule,
                num(mean(found.welfare[rule])),
                pct(mean(differs)),
                pct(mean(same_ref)) if jurors == "model" and same_ref else "n/a",
            )
        )
    blocks: list[Block] = [heading]
    if jurors == "constructed":
        blocks.append(
            Text(
                "These are the ratings shipped with the data (constructed by the data's "
                "authors), not answers of any model: a reference for the welfare rules.",
                kind="muted",
            )
        )
    blocks.append(
        Text(
            "Utilitarian welfare is the jurors' mean rating, Nash the geometric mean, "
            "egalitarian the lowest rating; each rule picks the candidate with the highest "
            f"welfare (ties to the first). {n} of {found.n_items} items had every rating read."
        )
    )
    blocks.append(
        Table.of(
            (
                "rule",
                "mean welfare of pick",
                "pick differs from utilitarian",
                "same pick as shipped ratings",
            ),
            rows,
            numeric=(1, 2, 3),
        )
    )
    split = [k for k in range(n) if len({found.picks[rule][k] for rule in WELFARE_RULES}) > 1][
        : 2 * _EXAMPLES
    ]
    if split:
        split_rows = [
            (
                found.prompts.get(found.items[k], found.items[k]),
                *(
                    found.candidates[found.items[k]].get(found.picks[rule][k], "")
                    for rule in WELFARE_RULES
                ),
            )
            for k in split
        ]
        blocks.append(Text("Items where the rules disagree:"))
        blocks.append(Table.of(("prompt", *WELFARE_RULES), split_rows))
    return blocks, warnings


WELFARE_RULES = pm.WELFARE_RULES


def uncomputed_rows_warning(run: RunLog, records: Sequence[Scored]) -> list[str]:
    """A warning naming the run's rows whose value could not be computed (shown as n/a)."""
    # The values do not depend on the bootstrap, so one resample is enough here.
    return uncomputed_warning(
        _label(run), pm.kind_rows(kind_of(run), records, run.metadata, n_resamples=1)
    )
