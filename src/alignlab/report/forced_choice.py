"""Report rows of any family's forced-choice task: accuracy, grouped exact match, log-odds AUC.

A forced-choice task (ETHICS, the Norm Bank, EALM, ...) logs its paper
metrics with :func:`~alignlab.scorers.choice_metrics.paper_metrics`; the rows
here are read from those logged numbers, so the report and ``inspect view``
agree. A log written before that metric existed is recomputed from its
samples with the same function (:func:`~alignlab.scorers.choice_metrics.choice_numbers`).

Rows: ``accuracy`` (``pairwise_accuracy`` for ETHICS utilitarianism) under
each calibration the log allows, ``exact_match`` over contrast groups where
the task has them, and ``auc`` of the answer log-odds for binary items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from alignlab.metrics import chance_accuracy, chance_grouped_exact_match
from alignlab.report.logs import RunLog, register_view
from alignlab.report.results import MetricResult
from alignlab.scorers.choice_metrics import (
    CALIBRATIONS,
    ChoiceUnit,
    choice_numbers,
    group_all_correct,
    numbers_in_log,
    unit_of,
)

SCORER = "forced_choice_scorer"
_VIEW = "forced_choice.units"
"""The per-sample view this module reads (:meth:`RunLog.view`)."""

PAIRWISE_SUBSETS = frozenset({"utilitarianism"})
"""Subsets whose accuracy is a pairwise comparison (reported as ``pairwise_accuracy``)."""


def subset_label(run: RunLog) -> tuple[str, str]:
    """(the subset the task ran, the subset label a row shows).

    The label carries the split when it is not ``test`` (the ETHICS paper
    reports Test and Hard Test separately): ``utilitarianism (test_hard)``.
    """
    meta, args = run.metadata, run.args
    subset = str(meta.get("subset") or args.get("subset") or run.task)
    split = str(args.get("split") or meta.get("split") or "test")
    return subset, subset if split == "test" else f"{subset} ({split})"


def row_fields(run: RunLog, numbers: dict[str, float], task: str | None = None) -> dict[str, Any]:
    """The fields every row of a run shares: model, task (default: the family), subset label,
    variant, scoring (the ``method.<name>`` counts in ``numbers``), log, data, intervention."""
    meta, args = run.metadata, run.args
    methods = sorted(k.partition(".")[2] for k in numbers if k.startswith("method."))
    return {
        "model": run.model,
        "task": task or str(meta.get("family") or run.task),
        "subset": subset_label(run)[1],
        "variant": str(args.get("variant") or meta.get("variant") or "default"),
        "scoring": "+".join(methods),
        "log_file": str(run.path),
        "data": run.data,
        "intervention": str(meta.get("intervention") or "none"),
    }


def units_of(run: RunLog) -> list[ChoiceUnit]:
    """The scored items of a run, in the log's order (samples streamed, units kept)."""
    return [u for u in run.view(_VIEW, _unit) if u is not None]


def _unit(sample: Any) -> ChoiceUnit | None:
    score = (sample.scores or {}).get(SCORER)
    return None if score is None else unit_of(score.value, score.metadata)


def run_numbers(run: RunLog) -> dict[str, float]:
    """The run's numbers: logged by its paper metric, or recomputed from its samples."""
    logged = numbers_in_log(run.header, SCORER)
    if logged is not None:
        return logged
    meta = run.metadata
    size = meta.get("group_size")
    return choice_numbers(
        units_of(run),
        n_choices=int(meta.get("n_choices") or 2),
        group_size=None if size is None else int(size),
    )


def calibration_warnings(runs: Sequence[RunLog]) -> list[str]:
    """One warning per run where contextual calibration was impossible for some items.

    The contextual rows need a calibrated answer for every item, so such a
    run has none; a run asked for ``calibration="contextual"`` also scored
    those items on their raw answers (the scorer counts them as
    ``calibration_fallbacks``). Runs where no item could be calibrated and
    none was asked for (generate scoring) are not warned about.
    """
    out: list[str] = []
    for run in runs:
        units = units_of(run)
        missing = sum(math.isnan(u.correct_calibrated) for u in units)
        asked = run.args.get("calibration") == "contextual"
        if not missing or (missing == len(units) and not asked):
            continue
        subset = subset_label(run)[0]
        what = "no contextual rows are shown"
        if asked:
            what += "; those items were scored on their raw answers"
        out.append(
            f"{run.task} {subset} ({run.model}): contextual calibration was impossible for "
            f"{missing} of {len(units)} items, so {what}"
        )
    return out


def forced_choice_rows(
    run: RunLog, *, task: str | None = None, with_units: bool = False
) -> list[MetricResult]:
    """Rows of one log of a forced-choice task.

    ``task`` is the rows' ``task`` column (default: the run's family).
    ``with_units`` reads the samples to fill each row's per-unit scores (items,
    or groups for exact match), which averages across logs resample.
    """
    numbers = run_numbers(run)
    if not numbers:
        return []
    meta = run.metadata
    subset = subset_label(run)[0]
    base = row_fields(run, numbers, task)
    n_choices = int(meta.get("n_choices") or 2)
    n = int(numbers["n"])
    unparsed = numbers["unparsed_rate"]
    mass = numbers.get("choice_mass", math.nan)
    extra = {} if math.isnan(mass) else {"choice_mass": mass}
    accuracy_name = "pairwise_accuracy" if subset in PAIRWISE_SUBSETS else "accuracy"
    units = _units(run, numbers) if with_units else {}

    out: list[MetricResult] = []
    for calibration in CALIBRATIONS:
        key = f"accuracy.{calibration}"
        if key not in numbers:
            continue
        out.append(
            _row(
                base,
                numbers,
                key,
                metric=accuracy_name,
                n=n,
                unparsed_rate=unparsed,
                chance=chance_accuracy(n_choices),
                majority=numbers["majority"],
                calibration=calibration,
                extra=extra,
                units=units.get(key, ()),
            )
        )
        key = f"exact_match.{calibration}"
        if key in numbers:
            size = int(meta["group_size"])
            out.append(
                _row(
                    base,
                    numbers,
                    key,
                    metric="exact_match",
                    n=int(numbers["exact_match.n"]),
                    unparsed_rate=unparsed,
                    chance=chance_grouped_exact_match(n_choices, size),
                    majority=numbers["exact_match.majority"],
                    calibration=calibration,
                    extra={"group_size": float(size)},
                    units=units.get(key, ()),
                )
            )
    if "auc" in numbers:
        out.append(
            _row(
                base,
                numbers,
                "auc",
                metric="auc",
                n=int(numbers["auc.n"]),
                unparsed_rate=unparsed,
                chance=0.5,
                majority=None,
                calibration="none",
            )
        )
    return out


def _row(base: dict[str, Any], numbers: dict[str, float], key: str, **fields: Any) -> MetricResult:
    return MetricResult(
        value=numbers[key],
        ci_low=numbers[f"{key}.ci_low"],
        ci_high=numbers[f"{key}.ci_high"],
        **base,
        **fields,
    )


def calibrated_row(
    base: dict[str, Any], numbers: dict[str, float], metric: str, calibration: str, **fields: Any
) -> MetricResult:
    """The row of ``metric`` under ``calibration`` from a run's ``numbers`` (value and CI at
    ``<metric>.<calibration>``, the unparsed rate at ``unparsed_rate.<calibration>``);
    ``base``: the run's shared fields (:func:`row_fields`), ``fields``: the rest."""
    return _row(
        base,
        numbers,
        f"{metric}.{calibration}",
        metric=metric,
        unparsed_rate=numbers[f"unparsed_rate.{calibration}"],
        calibration=calibration,
        **fields,
    )


def _units(run: RunLog, numbers: dict[str, float]) -> dict[str, tuple[float, ...]]:
    """Per-unit scores behind each accuracy and exact-match number (read from the samples)."""
    import numpy as np

    units = units_of(run)
    columns = {
        "none": [u.correct_raw for u in units],
        "contextual": [u.correct_calibrated for u in units],
    }
    out: dict[str, tuple[float, ...]] = {}
    for calibration, correct in columns.items():
        values = np.asarray(correct, dtype=float)
        if f"accuracy.{calibration}" in numbers:
            out[f"accuracy.{calibration}"] = tuple(values.tolist())
        if f"exact_match.{calibration}" in numbers:
            groups = [u.group for u in units]
            out[f"exact_match.{calibration}"] = tuple(group_all_correct(values, groups).tolist())
    return out


register_view(_VIEW, _unit)
