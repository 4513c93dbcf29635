"""Interventions against their baselines: paired differences on the items both runs scored.

A run with intervention ``none`` is the baseline of every run of the same
model and task whose other arguments match (``limit`` aside: the comparison
uses the items both runs scored, matched by sample id). For each pair the
per-item score (the forced-choice ``correct`` value: 1 right, 0 wrong) gives
the mean difference (intervened minus baseline), its paired bootstrap 95%
CI (resampling whole contrast groups where the task has them) and a two-sided
paired permutation p-value (:func:`alignlab.metrics.paired_difference`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alignlab.metrics import PairedDifference, paired_difference
from alignlab.report.format import interval, num
from alignlab.report.logs import RunLog, identity_args
from alignlab.report.sections import Section, Table, Text

BASELINE = "none"
SCORER = "forced_choice_scorer"
VALUE = "correct"
# Arguments that do not stop two runs from being compared (items are matched by id).
UNPAIRED_ARGS = frozenset({"intervention", "limit"})


@dataclass(frozen=True)
class InterventionComparison:
    """One intervened run against its baseline on their shared items."""

    model: str
    task: str
    intervention: str
    baseline_score: float
    intervened_score: float
    difference: PairedDifference
    grouped: bool
    baseline_log: str
    intervened_log: str

    @property
    def n(self) -> int:
        return self.difference.n


@dataclass(frozen=True)
class Comparisons:
    """The comparisons of a set of runs, and why some runs could not be compared."""

    rows: tuple[InterventionComparison, ...]
    warnings: tuple[str, ...] = ()


def intervention_of(run: RunLog) -> str:
    """The run's intervention label (``none`` for a baseline), from its metadata or arguments."""
    label = run.metadata.get("intervention")
    if label:
        return str(label)
    arg = run.args.get("intervention")
    if arg in (None, "", BASELINE, [], ()):
        return BASELINE
    return "+".join(str(a) for a in arg) if isinstance(arg, list | tuple) else str(arg)


def _pair_key(run: RunLog) -> tuple[str, str, str]:
    args = {k: v for k, v in identity_args(run.args).items() if k not in UNPAIRED_ARGS}
    args["calibration"] = run.args.get("calibration", run.metadata.get("calibration"))
    return (run.model, run.task, repr(sorted(args.items(), key=lambda kv: kv[0])))


def item_scores(run: RunLog, scorer: str = SCORER, value: str = VALUE) -> dict[str, float]:
    """Sample id -> the run's score ``value`` (mean over epochs); unscored samples left out."""
    values: dict[str, list[float]] = defaultdict(list)
    for sample in run.scored(scorer):
        score = sample.scores[scorer].value
        if isinstance(score, dict) and value in score and score[value] is not None:
            x = float(score[value])
            if math.isfinite(x):
                values[str(sample.id)].append(x)
    return {sid: sum(v) / len(v) for sid, v in values.items()}


def _groups(run: RunLog, ids: Sequence[str], scorer: str) -> list[Any] | None:
    """Each shared item's contrast group, or None unless every item has one."""
    group_of: dict[str, Any] = {}
    for sample in run.scored(scorer):
        metadata = sample.scores[scorer].metadata or {}
        group_of[str(sample.id)] = metadata.get("group")
    groups = [group_of.get(i) for i in ids]
    if any(g is None for g in groups) or len(set(groups)) == len(groups):
        return None
    return groups


def compare_interventions(
    runs: Sequence[RunLog],
    *,
    scorer: str = SCORER,
    value: str = VALUE,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    n_permutations: int = 9999,
    seed: int = 0,
) -> Comparisons:
    """Pair each intervened run with its baseline and compare them on their shared items.

    Runs whose samples carry no ``scorer`` score with a ``value`` entry are
    left out (they are not forced-choice tasks); an intervened run without a
    baseline, or sharing no scored item with it, is named in the warnings.
    """
    by_key: dict[tuple[str, str, str], list[RunLog]] = defaultdict(list)
    for run in runs:
        by_key[_pair_key(run)].append(run)
    rows: list[InterventionComparison] = []
    warnings: list[str] = []
    for key in sorted(by_key):
        group = by_key[key]
        baselines = [r for r in group if intervention_of(r) == BASELINE]
        others = sorted((r for r in group if intervention_of(r) != BASELINE), key=intervention_of)
        if not others:
            continue
        if not baselines:
            for run in others:
                if item_scores(run, scorer, value):
                    warnings.append(
                        f"{run.model} on {run.task} with {intervention_of(run)}: no baseline "
                        "run (intervention none, same arguments) to compare with"
                    )
            continue
        baseline = max(baselines, key=lambda r: len(item_scores(r, scorer, value)))
        base_scores = item_scores(baseline, scorer, value)
        if not base_scores:
            continue
        for run in others:
            scores = item_scores(run, scorer, value)
            shared = sorted(set(base_scores) & set(scores))
            if not shared:
                warnings.append(
                    f"{run.model} on {run.task} with {intervention_of(run)}: no scored item "
                    "in common with the baseline run"
                )
                continue
            a = [base_scores[i] for i in shared]
            b = [scores[i] for i in shared]
            groups = _groups(baseline, shared, scorer)
            rows.append(
                InterventionComparison(
                    model=run.model,
                    task=run.task,
                    intervention=intervention_of(run),
                    baseline_score=sum(a) / len(a),
                    intervened_score=sum(b) / len(b),
                    difference=paired_difference(
                        a,
                        b,
                        group_ids=groups,
                        confidence=confidence,
                        n_bootstrap=n_bootstrap,
                        n_permutations=n_permutations,
                        seed=seed,
                    ),
                    grouped=groups is not None,
                    baseline_log=str(baseline.path),
                    intervened_log=str(run.path),
                )
            )
    return Comparisons(tuple(rows), tuple(warnings))


def p_value_text(p: float) -> str:
    """A p-value as shown: three decimals, ``< 0.001`` below that."""
    return "< 0.001" if math.isfinite(p) and p < 0.001 else num(p)


COLUMNS = (
    "Model",
    "Task",
    "Intervention",
    "Shared items",
    "Baseline",
    "With intervention",
    "Difference",
    "95% CI",
    "p",
)


def comparison_table(rows: Sequence[InterventionComparison]) -> Table:
    """One line per intervened run: scores on the shared items, difference, CI, p-value."""
    return Table.of(
        COLUMNS,
        [
            (
                r.model,
                r.task,
                r.intervention,
                r.n,
                num(r.baseline_score),
                num(r.intervened_score),
                f"{r.difference.mean_difference:+.3f}",
                interval(r.difference.low, r.difference.high),
                p_value_text(r.difference.p_value),
            )
            for r in rows
        ],
        numeric=(3, 4, 5, 6, 7, 8),
        caption="Accuracy on the items both runs scored; difference = with intervention "
        "minus baseline.",
    )


def sections(runs: Sequence[RunLog], **options: Any) -> list[Section]:
    """The report section comparing interventions with their baselines (none without any)."""
    result = compare_interventions(runs, **options)
    if not result.rows and not result.warnings:
        return []
    blocks: list[Text | Table] = [
        Text(
            "Each intervened run against the run without intervention of the same model, task "
            "and options, on the items both scored (matched by sample id). The 95% interval is "
            "a paired bootstrap of the mean difference (whole contrast groups resampled where "
            "the task has them); p is a two-sided paired permutation test (sign flips; exact "
            "for right/wrong scores)."
        )
    ]
    if result.rows:
        blocks.append(comparison_table(result.rows))
    return [
        Section(
            title="Interventions against their baselines",
            blocks=tuple(blocks),
            warnings=result.warnings,
        )
    ]


__all__ = [
    "Comparisons",
    "InterventionComparison",
    "compare_interventions",
    "comparison_table",
    "intervention_of",
    "item_scores",
    "sections",
]
