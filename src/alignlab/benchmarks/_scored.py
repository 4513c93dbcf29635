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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

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
