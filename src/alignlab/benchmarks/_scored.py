"""Per-sample scores in one shape for an Inspect ``@metric`` and for a report analysis.

A family whose paper metrics are functions of one task's scores computes its
report rows with one pure function over :class:`Scored` records. Its Inspect
metric calls that function on the :class:`~inspect_ai.scorer.SampleScore` s
(so ``inspect view`` shows the report's numbers) and flattens the rows with
:func:`flatten_rows`; its analysis calls the same function on the log's
samples and takes the values the log holds with :func:`logged_values`.
Records are put in the order the log stores samples (by id), so bootstrap
resamples, which depend on the order, agree between the two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from inspect_ai.scorer import Metric, SampleScore

from alignlab.metrics import bootstrap_ci
from alignlab.report.results import MetricResult

ROW_FIELDS = ("ci_low", "ci_high", "n")
"""What a flattened row holds besides its value (under ``"<key> <field>"``)."""


@dataclass(frozen=True)
class Scored:
    """One scored sample: its id, the score's value and metadata, and the sample's metadata."""

    id: str
    value: Mapping[str, Any]
    metadata: Mapping[str, Any]
    sample: Mapping[str, Any] = field(default_factory=dict)


def log_order(sample_id: object) -> str:
    """The sort key Inspect orders a log's samples by (numbers zero-filled to 20 digits)."""
    return sample_id if isinstance(sample_id, str) else str(sample_id).zfill(20)


def from_sample_scores(scores: Iterable[Any]) -> list[Scored]:
    """Records of an Inspect metric's ``SampleScore`` s, in log order."""
    records = [
        Scored(
            id=log_order(s.sample_id),
            value=s.score.value if isinstance(s.score.value, dict) else {},
            metadata=s.score.metadata or {},
            sample=s.sample_metadata or {},
        )
        for s in scores
    ]
    return sorted(records, key=lambda r: r.id)


def from_log_samples(samples: Iterable[Any], scorer: str) -> list[Scored]:
    """Records of the samples of a log scored by ``scorer``, in log order."""
    records = [
        Scored(
            id=log_order(s.id),
            value=s.scores[scorer].value if isinstance(s.scores[scorer].value, dict) else {},
            metadata=s.scores[scorer].metadata or {},
            sample=s.metadata or {},
        )
        for s in samples
        if s.scores and scorer in s.scores
    ]
    return sorted(records, key=lambda r: r.id)


def row_key(row: MetricResult) -> str:
    """How a row is named among a log's metrics: ``metric[subset]``, `` contextual`` appended
    for calibrated rows."""
    key = f"{row.metric}[{row.subset}]"
    return key if row.calibration == "none" else f"{key} {row.calibration}"


def flatten_rows(rows: Sequence[MetricResult]) -> dict[str, float]:
    """A metric's value: each row's value under :func:`row_key`, with its CI and n beside it."""
    out: dict[str, float] = {}
    for row in rows:
        key = row_key(row)
        out[key] = float(row.value)
        out[f"{key} ci_low"] = float(row.ci_low)
        out[f"{key} ci_high"] = float(row.ci_high)
        out[f"{key} n"] = float(row.n)
    return out


def logged_metrics(header: Any, scorer: str) -> dict[str, float]:
    """Every metric value a log's header holds for ``scorer`` (``{}`` for older logs)."""
    results = getattr(header, "results", None)
    found: dict[str, float] = {}
    for score in getattr(results, "scores", None) or []:
        if score.scorer != scorer:
            continue
        for metric in (score.metrics or {}).values():
            found[metric.name] = float(metric.value)
    return found


def logged_values(rows: Sequence[MetricResult], logged: Mapping[str, float]) -> list[MetricResult]:
    """``rows`` with value, CI and n taken from the log's metrics where the log has them."""
    out = []
    for row in rows:
        key = row_key(row)
        if key not in logged:
            out.append(row)
            continue
        out.append(
            replace(
                row,
                value=logged[key],
                ci_low=logged.get(f"{key} ci_low", row.ci_low),
                ci_high=logged.get(f"{key} ci_high", row.ci_high),
                n=int(logged.get(f"{key} n", row.n)),
            )
        )
    return out


# --- shared by the families whose rows are means of per-unit values (mtt, pluralism) ------------

KindRows = Callable[[str, Sequence[Scored], Mapping[str, Any], int, int], list[MetricResult]]
"""``kind_rows(kind, scored, settings, n_resamples, seed)``: one run's report rows."""


def mean(units: Sequence[float]) -> float:
    """The mean of ``units``, NaN when there are none."""
    return float(np.mean(units)) if len(units) else math.nan


def mean_ci(units: Sequence[float], n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% CI of the mean of ``units`` (NaN, NaN when there are none)."""
    if not units:
        return math.nan, math.nan
    return bootstrap_ci(np.asarray(units, dtype=float), n_resamples=n_resamples, seed=seed)


def mean_row(
    subset: str,
    metric: str,
    units: Sequence[float],
    n_resamples: int,
    seed: int,
    **fields: Any,
) -> MetricResult:
    """A report row over ``units`` (value: their mean, CI: bootstrap); model and task left blank
    for the analysis to fill in."""
    low, high = mean_ci(units, n_resamples, seed)
    return MetricResult(
        **{
            "model": "",
            "task": "",
            "subset": subset,
            "metric": metric,
            "value": mean(units),
            "ci_low": low,
            "ci_high": high,
            "n": len(units),
            "units": tuple(float(u) for u in units),
            "unparsed_rate": 0.0,
            **fields,
        }
    )


def grouped_mean_rows(
    run: Any,
    groups: dict[str, list[float]],
    read: int,
    total: int,
    metric: str,
    n_resamples: int,
    seed: int,
    **fields: Any,
) -> list[MetricResult]:
    """One :func:`mean_row` a group of a generated-answer run: model, task, log file, data and
    intervention from ``run``, the unread share ``(total - read) / total``; ``fields`` adds
    the rest (variant, higher_is_better, ...)."""
    from alignlab.report.compare import intervention_of

    return [
        mean_row(
            subset,
            metric,
            values,
            n_resamples,
            seed,
            model=run.model,
            task=run.task,
            unparsed_rate=(total - read) / total if total else math.nan,
            scoring="generate",
            log_file=str(run.path),
            data=run.data,
            intervention=intervention_of(run),
            **fields,
        )
        for subset, values in groups.items()
    ]


def scoring_of(scored: Sequence[Scored]) -> str:
    """How the answers were read: the methods in the score metadata, joined by ``+``."""
    return "+".join(sorted({str(s.metadata.get("method") or "unknown") for s in scored}))


def kind_metric(kind_rows: KindRows, n_resamples: int) -> Metric:
    """The compute function of a family's Inspect ``@metric``: ``kind_rows`` over the scores,
    the task kind and options read from the first score's metadata.

    Each row ``metric[subset]`` (`` contextual`` appended for calibrated rows)
    gives its value, with ``ci_low``, ``ci_high`` and ``n`` beside it
    (:func:`flatten_rows`).
    """

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        scored = from_sample_scores(scores)
        if not scored:
            return {}
        settings = scored[0].metadata
        rows = kind_rows(str(settings.get("kind")), scored, settings, n_resamples, 0)
        return flatten_rows(rows)

    return compute


def run_rows(
    run: Any,
    computed: Sequence[MetricResult],
    scorer: str,
    logged: bool,
    model: str | None = None,
) -> list[MetricResult]:
    """One run's computed rows, with values taken from the log's metrics when ``logged`` (the
    defaults the metric used), and model (``run.model`` unless given), task, variant, log file,
    data and intervention filled in."""
    if logged:
        computed = logged_values(computed, logged_metrics(run.header, scorer))
    return [
        replace(
            r,
            model=run.model if model is None else model,
            task=run.task,
            variant=str(run.metadata.get("variant") or "default"),
            log_file=str(run.path),
            data=run.data,
            intervention=str(run.metadata.get("intervention") or "none"),
        )
        for r in computed
    ]


def kind_results(
    runs: Iterable[Any],
    scored: Callable[[Any], Sequence[Scored]],
    kind_rows: KindRows,
    scorer: Callable[[Any], str],
    n_resamples: int,
    seed: int,
    logged: bool,
    model: Callable[[Any], str] | None = None,
) -> list[MetricResult]:
    """The rows of every run with scored samples: ``kind_rows`` over ``scored(run)`` for the
    run's ``kind``, filled in by :func:`run_rows` (values from the log under ``scorer(run)``
    when ``logged``; ``model(run)``, if given, names whom the rows belong to)."""
    rows: list[MetricResult] = []
    for run in runs:
        records = scored(run)
        if not records:
            continue
        kind = str(run.metadata.get("kind") or "")
        computed = kind_rows(kind, records, run.metadata, n_resamples, seed)
        who = None if model is None else model(run)
        rows.extend(run_rows(run, computed, scorer(run), logged, who))
    return rows


def uncomputed_warning(label: str, rows: Sequence[MetricResult]) -> list[str]:
    """A warning naming the ``rows`` (of the run ``label``) whose value could not be computed
    (shown as n/a); none when every value is finite."""
    bad = [row_key(r) for r in rows if not math.isfinite(r.value)]
    if not bad:
        return []
    return [
        f"{label}: {len(bad)} of {len(rows)} rows could not be computed "
        f"(shown as n/a): {', '.join(bad)}."
    ]
