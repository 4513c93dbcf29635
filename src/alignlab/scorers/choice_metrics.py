"""The paper metrics of a binary or K-way forced-choice task, as one Inspect metric.

:func:`choice_numbers` computes, from the scored items of one log, every
number a report row of a forced-choice task shows: accuracy under each
calibration (with a bootstrap CI, clustered by contrast group where there is
one), grouped exact match (ETHICS justice, deontology and virtue; MP-ETHICS
scenarios) with its CI and majority baseline, and the AUC of the answer
log-odds with its CI. :func:`paper_metrics` is the same function as an
Inspect ``@metric``, so ``inspect view`` shows the numbers the report shows,
and the report reads them back from the log (:func:`numbers_in_log`) instead
of recomputing them.

Keys of the flat dictionary (``cal`` is ``none`` or ``contextual``; the
contextual keys exist only when every item has a calibrated answer):
``n``, ``unparsed_rate``, ``majority``, ``choice_mass``, ``method.<name>``
(items per answering method), ``accuracy.<cal>`` (+ ``.ci_low``,
``.ci_high``), ``exact_match.<cal>`` (+ CI), ``exact_match.n``,
``exact_match.majority``, ``auc`` (+ CI), ``auc.n``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from inspect_ai import Task
from inspect_ai.scorer import Metric, SampleScore, mean, metric, stderr

from alignlab.metrics import (
    bootstrap_ci,
    bootstrap_ci_auc,
    grouped_bootstrap_ci,
    majority_baseline,
    majority_grouped_exact_match,
    roc_auc,
)
from alignlab.scorers.forced_choice import group_exact_match, log_odds_auc, unparsed_rate

# Fewest contrast groups a cluster bootstrap resamples: over 2 or 3 groups every resample
# draws nearly the same groups and the interval collapses to a point ([0.5, 0.5] where the
# items give [0.25, 0.75]), so below this the accuracy interval is over items.
MIN_CLUSTERS = 10

N_RESAMPLES = 2000
"""Bootstrap resamples of every forced-choice CI (the report's and the log's)."""
SEED = 0
METRIC_NAME = "paper_metrics"
KEY_PREFIX = "paper."
"""What the log's metric names start with (Inspect lists a dict metric's keys as metrics)."""
CALIBRATIONS = ("none", "contextual")


@dataclass(frozen=True)
class ChoiceUnit:
    """One scored forced-choice item, as :func:`forced_choice_scorer` writes it."""

    correct_raw: float
    correct_calibrated: float
    unparsed: float
    label: int
    group: Any
    log_odds: float | None
    method: str | None
    choice_mass: float | None


def unit_of(value: Any, metadata: Mapping[str, Any] | None) -> ChoiceUnit:
    """The unit of one score (its ``value`` dict and ``metadata``)."""
    values: dict[str, Any] = value if isinstance(value, dict) else {}
    meta = metadata or {}
    return ChoiceUnit(
        correct_raw=float(values.get("correct_raw", values.get("correct", 0.0))),
        correct_calibrated=float(values.get("correct_calibrated", float("nan"))),
        unparsed=float(values.get("unparsed") or 0.0),
        label=int(meta.get("label", 0)),
        group=meta.get("group"),
        log_odds=meta.get("log_odds"),
        method=meta.get("method"),
        choice_mass=meta.get("choice_mass"),
    )


def choice_numbers(
    units: Sequence[ChoiceUnit],
    *,
    n_choices: int,
    group_size: int | None,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> dict[str, float]:
    """Every number of a forced-choice task's report rows (keys: see the module docstring).

    Args:
        units: the scored items, in the log's sample order (the bootstrap
            draws depend on it).
        n_choices: answer options per item; the AUC needs exactly 2.
        group_size: contrast-group size, or None for a task without groups;
            grouped numbers need every item to carry a group.
        n_resamples, seed: of every bootstrap CI.

    Returns:
        The flat dictionary; empty when there are no units.
    """
    if not units:
        return {}
    out: dict[str, float] = {"n": float(len(units))}
    labels = [u.label for u in units]
    out["unparsed_rate"] = float(np.mean([u.unparsed for u in units]))
    out["majority"] = majority_baseline(labels)
    mass = [u.choice_mass for u in units if u.choice_mass is not None]
    out["choice_mass"] = float(np.mean(mass)) if mass else math.nan
    for unit in units:
        key = f"method.{unit.method or 'unknown'}"
        out[key] = out.get(key, 0.0) + 1.0
    grouped = group_size is not None and all(u.group is not None for u in units)
    groups = [u.group for u in units] if grouped else None
    calibrations = [("none", [u.correct_raw for u in units])]
    calibrated = [u.correct_calibrated for u in units]
    if not any(np.isnan(calibrated)):
        calibrations.append(("contextual", calibrated))
    for calibration, correct in calibrations:
        values = np.asarray(correct, dtype=float)
        if groups is None or len(set(groups)) < MIN_CLUSTERS:
            low, high = bootstrap_ci(values, n_resamples=n_resamples, seed=seed)
        else:
            low, high = grouped_bootstrap_ci(values, groups, n_resamples=n_resamples, seed=seed)
        _put(out, f"accuracy.{calibration}", float(values.mean()), low, high)
        if groups is not None:
            per_group = group_all_correct(values, groups)
            g_low, g_high = bootstrap_ci(per_group, n_resamples=n_resamples, seed=seed)
            _put(out, f"exact_match.{calibration}", float(np.mean(per_group)), g_low, g_high)
            out["exact_match.n"] = float(len(per_group))
    if groups is not None and len(set(groups)) < MIN_CLUSTERS:
        out["accuracy.ci_over_items"] = 1.0  # too few groups to resample: items instead
    if groups is not None:
        out["exact_match.majority"] = majority_grouped_exact_match(labels, groups)
    odds = [(u.log_odds, u.label) for u in units if u.log_odds is not None]
    if odds and n_choices == 2:
        scores = [o[0] for o in odds]
        gold = [o[1] for o in odds]
        a_low, a_high = bootstrap_ci_auc(scores, gold, n_resamples=n_resamples, seed=seed)
        _put(out, "auc", roc_auc(scores, gold), a_low, a_high)
        out["auc.n"] = float(len(odds))
    return out


def group_all_correct(values: np.ndarray, groups: Iterable[Any]) -> np.ndarray:
    """Per contrast group (in order of first appearance), 1.0 when every item is right."""
    verdicts: dict[Any, bool] = {}
    for value, group in zip(values, groups, strict=True):
        verdicts[group] = verdicts.get(group, True) and bool(value)
    return np.array([float(v) for v in verdicts.values()])


def _put(out: dict[str, float], key: str, value: float, low: float, high: float) -> None:
    out[key] = value
    out[f"{key}.ci_low"] = low
    out[f"{key}.ci_high"] = high


def log_order(scores: Sequence[SampleScore]) -> list[SampleScore]:
    """Sample scores in the order an Inspect log stores samples (epoch, then id)."""

    def key(s: SampleScore) -> tuple[int, str]:
        sid = s.sample_id
        return (0, sid if isinstance(sid, str) else str(sid).zfill(20))

    return sorted(scores, key=key)


@metric(name=METRIC_NAME)
def paper_metrics(
    n_choices: int = 2,
    group_size: int | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> Metric:
    """The report's numbers of a forced-choice task (:func:`choice_numbers`) in the log.

    Args:
        n_choices: answer options per item.
        group_size: contrast-group size, None when the task has no groups.
        n_resamples, seed: of the bootstrap CIs.

    Returns:
        A metric whose value is the flat dictionary of :func:`choice_numbers`.
    """

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        units = [unit_of(s.score.value, s.score.metadata) for s in log_order(scores)]
        numbers = choice_numbers(
            units,
            n_choices=n_choices,
            group_size=group_size,
            n_resamples=n_resamples,
            seed=seed,
        )
        return {f"{KEY_PREFIX}{k}": v for k, v in numbers.items()}

    return compute


def forced_choice_metrics(n_choices: int, group_size: int | None) -> list[Any]:
    """The metrics of a forced-choice task: the scorer's own, then :func:`paper_metrics`."""
    return [
        {"correct": [mean(), stderr()], "correct_calibrated": [mean()]},
        unparsed_rate(),
        log_odds_auc(),
        group_exact_match(),
        paper_metrics(n_choices, group_size, N_RESAMPLES, SEED),
    ]


def with_paper_metrics(
    task: Task, n_choices: int, group_size: int | None, more: Sequence[Metric] = ()
) -> Task:
    """``task`` (a forced-choice task) with :func:`forced_choice_metrics` on its scorer,
    and ``more`` metrics of the family's own after them."""
    return Task(
        dataset=task.dataset,
        setup=task.setup,
        solver=task.solver,
        scorer=task.scorer,
        metrics=[*forced_choice_metrics(n_choices, group_size), *more],
        epochs=task.epochs,
        name=task.name,
        metadata=task.metadata,
    )


def numbers_in_log(
    header: Any, scorer: str, n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> dict[str, float] | None:
    """The flat dictionary of a paper metric that a run's log holds for ``scorer``, if any.

    Works for every metric that prefixes its keys with :data:`KEY_PREFIX`.
    None for a log written before the metric existed, or one computed with
    other bootstrap settings than asked.
    """
    results = getattr(header, "results", None)
    for score in getattr(results, "scores", None) or []:
        if score.scorer != scorer:
            continue
        found = {
            key[len(KEY_PREFIX) :]: m
            for key, m in (score.metrics or {}).items()
            if key.startswith(KEY_PREFIX)
        }
        if not found:
            continue
        params = next(iter(found.values())).params or {}
        if params.get("n_resamples", n_resamples) != n_resamples:
            return None
        if params.get("seed", seed) != seed:
            return None
        return {key: float(m.value) for key, m in found.items()}
    return None
