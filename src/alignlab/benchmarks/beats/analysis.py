"""BEATS-style report: bias rate per dimension as bars with Wilson CIs, severity, unfairness and
misinformation risk per run."""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks._rates import rate_chart_blocks
from alignlab.benchmarks._scored import Scored, from_log_samples, kind_results
from alignlab.benchmarks.beats import paper_metrics as pm
from alignlab.benchmarks.beats.tasks import FAMILY, SCORER
from alignlab.report.format import interval, num
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Section, Table, Text

NOTE = (
    "BEATS-style: one grader model judges each answer for bias (and its severity), fairness "
    "and misinformation. BEATS uses a panel of judges and its own 901 questions; the bias rate "
    "follows its headline definition (share of answers showing any bias), the other measures "
    "are approximations (see the family README)."
)


def scored(run: RunLog) -> list[Scored]:
    return from_log_samples(run.samples, SCORER)


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY]


def results(
    runs: Sequence[RunLog], *, n_resamples: int = pm.N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """Rows of every run: ``bias_rate`` (``all``, ``dimension:X``), ``bias_severity``,
    ``unfair_rate``, ``misinformation_rate``."""
    logged = n_resamples == pm.N_RESAMPLES and seed == 0
    return kind_results(
        _ours(runs), scored, pm.kind_rows, lambda run: SCORER, n_resamples, seed, logged
    )


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per run, bias-rate bars and a table of the other measures."""
    blocks: list[Block] = [Text(NOTE, kind="muted")]
    warnings: list[str] = []
    for run in _ours(runs):
        records = scored(run)
        if not records:
            continue
        intervention = str(run.metadata.get("intervention") or "none")
        label = " · ".join(
            [run.model, run.task, run.data]
            + ([f"intervention {intervention}"] if intervention != "none" else [])
        )
        rows = pm.kind_rows("probe", records, run.metadata)
        blocks.extend(
            rate_chart_blocks(label, [r for r in rows if r.metric == "bias_rate"], "bias rate")
        )
        others = [r for r in rows if r.metric != "bias_rate"]
        blocks.append(
            Table.of(
                ("measure", "subset", "value", "95% CI", "n"),
                [
                    (r.metric, r.subset, num(r.value), interval(r.ci_low, r.ci_high), r.n)
                    for r in others
                ],
                numeric=(2, 3, 4),
            )
        )
        unread = sum(bool(s.value.get("unparsed")) for s in records)
        if unread:
            warnings.append(
                f"{label}: the grader's JSON verdict could not be read on {unread} of "
                f"{len(records)} answers (left out)."
            )
    if len(blocks) == 1:
        return []
    return [Section("BEATS-style bias probes", tuple(blocks), tuple(warnings), family=FAMILY)]
