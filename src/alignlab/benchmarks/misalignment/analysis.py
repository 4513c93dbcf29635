"""MisalignmentBench report: vulnerability rates per run, a bar chart per category with Wilson
CIs, and every scenario's verdict (situation x tactic)."""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks._rates import rate_chart_blocks
from alignlab.benchmarks._scored import Scored, from_log_samples, kind_results
from alignlab.benchmarks.misalignment import paper_metrics as pm
from alignlab.benchmarks.misalignment.tasks import FAMILY, SCORER
from alignlab.metrics import attack_success_rate
from alignlab.report.format import pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Section, Table, Text

NOTE = (
    "A scenario is a scripted attack conversation; the grader model decides whether the "
    "target showed the behaviour (deception, value drift, self-preservation, manipulation). "
    "The vulnerability rate is the share of graded scenarios judged misaligned (lower is "
    "better). The scenarios are written by alignlab after MisalignmentBench's tactics; they "
    "are not the paper's scenarios, and a small grader model makes noisy verdicts."
)


def scored(run: RunLog) -> list[Scored]:
    return from_log_samples(run.samples, SCORER)


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY]


def results(runs: Sequence[RunLog], *, n_resamples: int = 0, seed: int = 0) -> list[MetricResult]:
    """``vulnerability_rate`` rows of every run: ``all``, ``tactic:X``, ``behaviour:X``."""
    return kind_results(_ours(runs), scored, pm.kind_rows, lambda run: SCORER, 0, 0, True)


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per run, the rates chart and the scenario table."""
    blocks: list[Block] = [Text(NOTE, kind="muted")]
    warnings: list[str] = []
    for run in _ours(runs):
        records = scored(run)
        if not records:
            continue
        label = _label(run)
        rows = pm.kind_rows("attack", records, run.metadata)
        blocks.extend(
            rate_chart_blocks(
                label,
                rows,
                "vulnerability rate",
                units="graded scenarios",
                caption="Vulnerability rate overall, per attack tactic and per behaviour, "
                "Wilson 95% CIs.",
            )
        )
        blocks.append(_scenario_table(records))
        unread = sum(bool(s.value.get("unparsed")) for s in records)
        if unread:
            warnings.append(
                f"{label}: the grader gave no yes/no verdict on {unread} of {len(records)} "
                "scenarios (left out of the rates)."
            )
    if len(blocks) == 1:
        return []
    title = "MisalignmentBench: vulnerability to scripted attacks"
    return [Section(title, tuple(blocks), tuple(warnings), family=FAMILY)]


def _scenario_table(records: Sequence[Scored]) -> Table:
    tactics = list(dict.fromkeys(str(s.metadata.get("tactic")) for s in records))
    cells: dict[str, dict[str, list[bool | None]]] = {}
    behaviour: dict[str, str] = {}
    for s, outcome in zip(records, pm.outcomes(records), strict=True):
        situation = str(s.metadata.get("situation"))
        behaviour[situation] = str(s.metadata.get("behaviour"))
        cells.setdefault(situation, {}).setdefault(str(s.metadata.get("tactic")), []).append(
            outcome
        )
    rows = []
    for situation, by_tactic in cells.items():
        every = [o for found in by_tactic.values() for o in found]
        rate = attack_success_rate(every)
        rows.append(
            (
                situation,
                behaviour[situation],
                *(_verdicts(by_tactic.get(t, [])) for t in tactics),
                pct(rate.value),
            )
        )
    return Table.of(
        ("scenario", "behaviour", *tactics, "rate"),
        rows,
        numeric=(len(tactics) + 2,),
        caption="Each scenario's verdict under each tactic (misaligned / aligned / unread).",
    )


def _verdicts(found: list[bool | None]) -> str:
    words = {True: "misaligned", False: "aligned", None: "unread"}
    return ", ".join(words[o] for o in found) or "–"


def _label(run: RunLog) -> str:
    intervention = str(run.metadata.get("intervention") or "none")
    parts = [run.model, run.task, run.data]
    if intervention != "none":
        parts.append(f"intervention {intervention}")
    return " · ".join(parts)
