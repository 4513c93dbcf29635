"""Scruples report rows and the "model against BEST" section, read from the runs' logs.

Each Scruples log holds its paper metrics (:mod:`alignlab.benchmarks.scruples.metrics`,
logged by the scorer); the rows here are read from them. A log written before
that metric existed is recomputed from its samples with the same function,
pooling each item's epochs.

Rows per log and calibration: ``accuracy``, ``f1_macro`` (the Anecdotes
headline), ``balanced_accuracy``, ``mcc``, ``cross_entropy`` (nats, lower is
better), ``dm_log_likelihood`` and ``ece`` (lower is better), each with its
bootstrap CI and chance level; accuracy and the hard metrics carry the majority
baseline, and ``extra["best"]`` holds BEST where a Dirichlet prior fits the
annotation counts. Where none fits, the BEST column cannot be filled: the
section says so, with a count, instead of leaving it out silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from alignlab.benchmarks.scruples.metrics import (
    CALIBRATIONS,
    METRICS,
    item_of,
    scruples_numbers,
)
from alignlab.benchmarks.scruples.tasks import SCORER_NAME, pooled_distribution
from alignlab.report.forced_choice import calibrated_row, row_fields
from alignlab.report.format import interval, num
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section, Table, Text
from alignlab.scorers.choice_metrics import numbers_in_log

HAS_BEST = ("accuracy", "f1_macro", "balanced_accuracy", "mcc", "cross_entropy")
LOWER_IS_BETTER = frozenset({"cross_entropy", "ece"})
_EXTRA_PRIOR = {
    "cross_entropy": "prior.cross_entropy",
    "dm_log_likelihood": "prior.dm_log_likelihood",
}


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Rows of every Scruples run, sorted by model, task, subset and variant."""
    rows: list[MetricResult] = []
    for run in runs:
        rows.extend(scruples_rows(run))
    return sorted(rows, key=lambda r: (r.model, r.task, r.subset, r.variant))


def run_numbers(run: RunLog) -> dict[str, float]:
    """The run's numbers: logged by its paper metric, or recomputed from its samples."""
    logged = numbers_in_log(run.header, SCORER_NAME)
    if logged is not None:
        return logged
    return scruples_numbers(items_of(run))


def items_of(run: RunLog) -> list[Any]:
    """The run's items, each item's epochs pooled (:func:`pooled_distribution`)."""
    epochs: dict[Any, list[dict[str, Any]]] = {}
    for sample in run.scored(SCORER_NAME):
        epochs.setdefault(sample.id, []).append(sample.scores[SCORER_NAME].metadata or {})
    items = []
    for answers in epochs.values():
        first = answers[0]
        n_labels = len(first["labels"])
        probs = pooled_distribution(answers, n_labels)
        calibrated = pooled_distribution(answers, n_labels, calibrated=True)
        meta = {
            **first,
            "probs": None if probs is None else probs.tolist(),
            "probs_calibrated": None if calibrated is None else calibrated.tolist(),
        }
        items.append(item_of(meta, n_answers=len(answers)))
    return items


def scruples_rows(run: RunLog) -> list[MetricResult]:
    """The rows of one Scruples log (see the module docstring)."""
    numbers = run_numbers(run)
    if not numbers:
        return []
    base = {**row_fields(run, numbers, "scruples"), "n": int(numbers["n"])}
    shared = (
        {"answers_per_item": numbers["answers_per_item"]} if "answers_per_item" in numbers else {}
    )
    rows: list[MetricResult] = []
    for calibration in CALIBRATIONS:
        if f"accuracy.{calibration}" not in numbers:
            continue
        for metric in METRICS:
            key = f"{metric}.{calibration}"
            if key not in numbers:  # a log from before the metric existed
                continue
            extra = dict(shared)
            if metric in HAS_BEST:
                extra["best"] = numbers.get(f"best.{metric}", math.nan)
            if metric in _EXTRA_PRIOR:
                extra["prior"] = numbers.get(_EXTRA_PRIOR[metric], math.nan)
            if metric == "dm_log_likelihood":
                extra["concentration"] = numbers[f"concentration.{calibration}"]
            rows.append(
                calibrated_row(
                    base,
                    numbers,
                    metric,
                    calibration,
                    chance=numbers.get(f"{key}.chance"),
                    majority=numbers.get(f"{key}.majority"),
                    higher_is_better=metric not in LOWER_IS_BETTER,
                    extra={k: v for k, v in extra.items() if not math.isnan(v)},
                )
            )
    return rows


def missing_best(rows: Sequence[MetricResult]) -> list[str]:
    """Warnings for rows whose BEST could not be computed, with a count per model and subset."""
    missing: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.task == "scruples" and r.metric in HAS_BEST and "best" not in r.extra:
            missing[(r.model, r.subset)] = missing.get((r.model, r.subset), 0) + 1
    return [
        f"BEST could not be computed for {count} Scruples row(s) of {model} on {subset}: no "
        "Dirichlet prior fits these annotation counts (they vary no more between items than "
        "multinomial noise, or an item has none); those rows show no BEST, and the "
        "DM log-likelihood rows no population prior."
        for (model, subset), count in sorted(missing.items())
    ]


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """A section putting each Scruples score beside BEST; none without Scruples rows."""
    rows = results(runs)
    if not rows:
        return []
    shown = [r for r in rows if r.metric in HAS_BEST]
    table = Table.of(
        [
            "model",
            "subset",
            "variant",
            "calibration",
            "metric",
            "model's score",
            "95% CI",
            "BEST",
            "chance",
        ],
        [
            [
                r.model,
                r.subset,
                r.variant,
                r.calibration,
                r.metric_label,
                num(r.value),
                interval(r.ci_low, r.ci_high),
                num(r.extra.get("best")),
                num(r.chance),
            ]
            for r in shown
        ],
        numeric=(5, 7, 8),
    )
    intro = Text(
        "BEST is the score of an oracle that knows each item's true label distribution "
        "(Lourie et al. 2021): annotator disagreement keeps even a perfect model from "
        "matching every label. F1-macro is the paper's Anecdotes headline; balanced accuracy "
        "and MCC are its other hard metrics. Cross-entropy is in nats (lower is better)."
    )
    return [
        Section(
            title="Scruples: model against BEST",
            blocks=(intro, table),
            warnings=tuple(missing_best(rows)),
            family="scruples",
        )
    ]
