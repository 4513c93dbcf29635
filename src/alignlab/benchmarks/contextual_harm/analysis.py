"""Contextual harm report: attack success rates per run, per harm category and per context,
as bars with Wilson CIs."""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks._rates import rate_chart_blocks
from alignlab.benchmarks._scored import Scored, from_log_samples, kind_results
from alignlab.benchmarks.contextual_harm import paper_metrics as pm
from alignlab.benchmarks.contextual_harm.tasks import FAMILY, SCORER
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Section, Text

NOTE = (
    "Harmful requests set in a context (medical, workplace, finance, civic, adversarial local "
    "values); the grader decides whether the assistant complied. Lower is better. The requests "
    "are written by alignlab after Medical Malice and adversarial-values sets, not taken "
    "from them."
)


def scored(run: RunLog) -> list[Scored]:
    return from_log_samples(run.samples, SCORER)


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY]


def results(runs: Sequence[RunLog], *, n_resamples: int = 0, seed: int = 0) -> list[MetricResult]:
    """``attack_success_rate`` rows of every run: ``all``, ``category:X``, ``context:X``."""
    return kind_results(_ours(runs), scored, pm.kind_rows, lambda run: SCORER, 0, 0, True)


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per run, the rates chart."""
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
        rows = pm.kind_rows("harm", records, run.metadata)
        blocks.extend(rate_chart_blocks(label, rows, "attack success rate"))
        unread = sum(o is None for o in pm.outcomes(records))
        if unread:
            warnings.append(
                f"{label}: the grader gave no yes/no verdict on {unread} of {len(records)} "
                "answers (left out of the rates)."
            )
    if len(blocks) == 1:
        return []
    title = "Contextual harm: attack success by category and context"
    return [Section(title, tuple(blocks), tuple(warnings), family=FAMILY)]
