"""TrustGPT report: rows per run, and a section with per-category toxicity bars, the group-gap
chart and the pairwise Mann-Whitney tests between groups.

Pure functions over the family's :class:`~alignlab.report.logs.RunLog` s; the rows are the
same function the tasks' Inspect metric runs
(:func:`~alignlab.benchmarks.trustgpt.paper_metrics.kind_rows`), with values taken from the
log where it holds them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks._scored import Scored, from_log_samples, kind_results
from alignlab.benchmarks.trustgpt import paper_metrics as pm
from alignlab.benchmarks.trustgpt.tasks import FAMILY, SCORER
from alignlab.metrics import pairwise_mann_whitney
from alignlab.report.ci_bars import ci_bar_chart
from alignlab.report.format import interval, num, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Figure, Heading, Section, Table, Text

DEPARTURE = (
    "TrustGPT scores toxicity with the Perspective API (a web service). alignlab scores it "
    "offline with alt-profanity-check's bundled bag-of-words model by default (or VADER, or "
    "a grader model), so absolute toxicities are not comparable with the paper's; the gaps "
    "between groups and between runs are. The norm actions are written by this project, "
    "not drawn from Social-Chem-101 (which the loader reads when given)."
)


def scored(run: RunLog) -> list[Scored]:
    """The run's scored samples, in log order."""
    return from_log_samples(run.samples, SCORER)


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY]


def results(
    runs: Sequence[RunLog], *, n_resamples: int = pm.N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """Report rows of every TrustGPT run (:func:`~.paper_metrics.kind_rows`)."""
    logged = n_resamples == pm.N_RESAMPLES and seed == 0
    return kind_results(
        _ours(runs), scored, pm.kind_rows, lambda run: SCORER, n_resamples, seed, logged
    )


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per run, bars with CIs (toxicity per norm label or per group), the group
    gap with its tests, the value-alignment accuracies and the refusal rate."""
    blocks: list[Block] = [Text(DEPARTURE, kind="muted")]
    warnings: list[str] = []
    for run in _ours(runs):
        records = scored(run)
        if not records:
            continue
        kind = str(run.metadata.get("kind"))
        rows = pm.kind_rows(kind, records, run.metadata, n_resamples=pm.N_RESAMPLES)
        label = _label(run)
        blocks.append(Heading(label))
        unread = sum(bool(s.value.get("unparsed")) for s in records)
        if unread:
            warnings.append(
                f"{label}: {unread} of {len(records)} answers could not be scored "
                "(left out of toxicity and RtA; counted wrong in the accuracies)."
            )
        blocks.extend(_kind_blocks(kind, rows, records))
    if len(blocks) == 1:
        return []
    title = "TrustGPT: toxicity, bias across groups, value alignment"
    return [Section(title, tuple(blocks), tuple(warnings), family=FAMILY)]


def _kind_blocks(kind: str, rows: list[MetricResult], records: list[Scored]) -> list[Block]:
    if kind in ("toxicity", "bias"):
        bars = [r for r in rows if r.metric == "toxicity"]
        gap = [r for r in rows if r.metric.startswith("toxicity_")]
        average = gap[0].extra.get("average") if gap else None
        what = "norm label" if kind == "toxicity" else "demographic group"
        blocks: list[Block] = [
            Figure(
                ci_bar_chart(
                    [r.subset for r in bars],
                    [r.value for r in bars],
                    [r.ci_low for r in bars],
                    [r.ci_high for r in bars],
                    "mean toxicity (0-1)",
                    reference=average,
                    reference_label="mean over groups" if average is not None else "",
                ),
                f"Mean toxicity per {what}, 95% bootstrap CIs.",
            )
        ]
        if gap:
            blocks.append(
                Table.of(
                    ("gap", "value", "95% CI", "Kruskal-Wallis H", "p"),
                    [
                        (
                            r.metric,
                            num(r.value),
                            interval(r.ci_low, r.ci_high),
                            num(r.extra["kruskal_h"]),
                            num(r.extra["kruskal_p"]),
                        )
                        for r in gap
                    ],
                    numeric=(1, 3, 4),
                    caption="Toxicity gap across groups: SD and max - min of the group means "
                    "(stratified bootstrap CIs); Kruskal-Wallis across all groups.",
                )
            )
            tests = pairwise_mann_whitney(pm.toxicity_by(records, "group"))
            blocks.append(
                Table.of(
                    ("group", "vs group", "U", "p", "p (Holm)"),
                    [(t.first, t.second, num(t.u), num(t.p), num(t.p_holm)) for t in tests],
                    numeric=(2, 3, 4),
                    caption="Mann-Whitney U between each pair of groups' toxicity (TrustGPT); "
                    "Holm-adjusted over all pairs.",
                )
            )
        return blocks
    if kind == "active":
        return [
            Table.of(
                ("metric", "value", "95% CI", "chance", "majority", "n"),
                [
                    (
                        r.metric,
                        num(r.value),
                        interval(r.ci_low, r.ci_high),
                        num(r.chance),
                        num(r.majority),
                        r.n,
                    )
                    for r in rows
                ],
                numeric=(1, 3, 4, 5),
                caption="Active value alignment: hard (exact label) and soft (good ~ neutral) "
                "accuracy.",
            )
        ]
    if kind == "passive" and rows:
        r = rows[0]
        return [
            Text(
                f"Refused {pct(r.value)} {interval(r.ci_low, r.ci_high)} of {r.n} requests "
                "to say something toxic about a bad action (RtA, Wilson 95% CI)."
            )
        ]
    return []


def _label(run: RunLog) -> str:
    intervention = str(run.metadata.get("intervention") or "none")
    parts = [run.model, run.task, str(run.metadata.get("variant") or "paper"), run.data]
    if intervention != "none":
        parts.append(f"intervention {intervention}")
    return " · ".join(parts)
