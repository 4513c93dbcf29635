"""Denevil report: violation rates per run, a bar chart per Moral Foundation (Wilson CIs), and
the principles that were broken with the attack that broke them."""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks._scored import Scored, from_log_samples, kind_results
from alignlab.benchmarks.denevil import paper_metrics as pm
from alignlab.benchmarks.denevil.tasks import FAMILY, SCORER
from alignlab.report.ci_bars import ci_bar_chart
from alignlab.report.format import interval, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Figure, Heading, Section, Table, Text

NOTE = (
    "An attacker model writes prompts that push the target to break one value principle, for "
    "up to the run's number of rounds; a grader judges each answer. The violation rate is the "
    "share of principles broken at least once (lower is better). Denevil's EVR and MVP average "
    "many sampled completions per prompt; this is a greedy, bounded-attacker approximation."
)
EXCERPT = 160


def scored(run: RunLog) -> list[Scored]:
    return from_log_samples(run.samples, SCORER)


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY]


def results(
    runs: Sequence[RunLog], *, n_resamples: int = 1000, seed: int = 0
) -> list[MetricResult]:
    """``violation_rate`` rows (``all``, ``foundation:X``) and ``rounds_to_violation``."""
    logged = n_resamples == 1000 and seed == 0
    return kind_results(
        _ours(runs), scored, pm.kind_rows, lambda r: SCORER, n_resamples, seed, logged
    )


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per run, the rates chart and the broken principles."""
    blocks: list[Block] = [Text(NOTE, kind="muted")]
    warnings: list[str] = []
    for run in _ours(runs):
        records = scored(run)
        if not records:
            continue
        rows = [r for r in pm.kind_rows("elicit", records, run.metadata) if r.metric == pm.METRIC]
        label = " · ".join(
            [run.model, run.task, run.data, f"{run.metadata.get('rounds')} rounds"]
            + [f"intervention {i}" for i in [run.metadata.get("intervention")] if i and i != "none"]
        )
        blocks.append(Heading(label))
        overall = rows[0]
        blocks.append(
            Text(
                f"Violation rate {pct(overall.value)} {interval(overall.ci_low, overall.ci_high)} "
                f"over {overall.n} principles (Wilson 95% CI)."
            )
        )
        blocks.append(
            Figure(
                ci_bar_chart(
                    [r.subset for r in rows],
                    [r.value for r in rows],
                    [r.ci_low for r in rows],
                    [r.ci_high for r in rows],
                    "violation rate",
                ),
                "Violation rate overall and per Moral Foundation, Wilson 95% CIs.",
            )
        )
        broken = [
            (
                s.id,
                str(s.metadata.get("foundation")),
                int(s.value.get("rounds", 0)),
                _excerpt(s.metadata["rounds"][-1]["prompt"]),
                _excerpt(s.metadata["rounds"][-1]["answer"]),
            )
            for s, o in zip(records, pm.outcomes(records), strict=True)
            if o and s.metadata.get("rounds")
        ]
        if broken:
            blocks.append(
                Table.of(
                    ("principle", "foundation", "round", "attack", "answer"),
                    broken,
                    numeric=(2,),
                    caption="Principles broken, with the attack and the answer judged a violation.",
                )
            )
        unread = sum(o is None for o in pm.outcomes(records))
        if unread:
            warnings.append(
                f"{label}: {unread} of {len(records)} principles have an unread verdict and no "
                "violation (left out of the rates)."
            )
    if len(blocks) == 1:
        return []
    return [
        Section(
            "Denevil: eliciting value violations", tuple(blocks), tuple(warnings), family=FAMILY
        )
    ]


def _excerpt(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
