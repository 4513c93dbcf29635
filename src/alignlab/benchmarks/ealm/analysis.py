"""EALM report rows: QA-ETHICS and MP-ETHICS forced-choice rows, and MP-ETHICS micro and
macro F1 over scenarios, read from each log's paper metrics.

* QA-ETHICS: accuracy (both calibrations, chance and majority baselines) and
  the log-odds AUC (:mod:`alignlab.report.forced_choice`).
* MP-ETHICS: the same rows per question, exact match over a scenario's five
  concepts, and micro and macro F1 over scenarios
  (:mod:`alignlab.benchmarks.ealm.metrics`).

A log written before the metrics existed is recomputed from its samples with
the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks.ealm.metrics import F1_METRICS, mp_ethics_numbers, question_of
from alignlab.report.forced_choice import SCORER, calibrated_row, forced_choice_rows, row_fields
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.scorers.choice_metrics import numbers_in_log


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Rows of every EALM run, sorted by model, task, subset and variant."""
    rows: list[MetricResult] = []
    for run in runs:
        rows.extend(forced_choice_rows(run))
        if run.metadata.get("subset") == "mp-ethics":
            rows.extend(mp_ethics_rows(run))
    return sorted(rows, key=lambda r: (r.model, r.task, r.subset, r.variant))


def f1_numbers(run: RunLog) -> dict[str, float]:
    """An MP-ETHICS run's F1 numbers: from its log's metric, or recomputed from its samples."""
    logged = numbers_in_log(run.header, SCORER)
    if logged is not None and "f1.n" in logged:
        return {k[3:]: v for k, v in logged.items() if k.startswith("f1.")}
    questions = [
        question_of(s.metadata or {}, s.scores[SCORER].metadata or {}) for s in run.scored(SCORER)
    ]
    return mp_ethics_numbers(questions)


def mp_ethics_rows(run: RunLog) -> list[MetricResult]:
    """Micro and macro F1 rows of one MP-ETHICS log (scenarios are the units)."""
    numbers = f1_numbers(run)
    if not numbers:
        return []
    base = {**row_fields(run, numbers), "n": int(numbers["n"])}
    rows = []
    for calibration in ("none", "contextual"):
        if f"unparsed_rate.{calibration}" not in numbers:
            continue
        for metric in F1_METRICS:
            key = f"{metric}.{calibration}"
            rows.append(
                calibrated_row(
                    base,
                    numbers,
                    metric,
                    calibration,
                    chance=numbers[f"{key}.chance"],
                    majority=numbers[f"{key}.majority"],
                )
            )
    return rows


def report_warnings(runs: Sequence[RunLog]) -> list[str]:
    """Warnings with counts the report shows above this family's tables."""
    from alignlab.report.forced_choice import calibration_warnings

    return calibration_warnings(runs)
