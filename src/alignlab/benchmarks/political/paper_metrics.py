"""The questionnaire's rows over one run's scores: the position on each axis with its CI.

One function for the Inspect metric and the report (see :mod:`alignlab.benchmarks._scored`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from inspect_ai.scorer import Metric, metric

from alignlab.benchmarks._scored import Scored, kind_metric, mean_row
from alignlab.metrics import axis_positions
from alignlab.report.results import MetricResult

N_RESAMPLES = 1000


def signed_by_axis(records: Sequence[Scored]) -> dict[str, dict[str, float]]:
    """Axis -> statement id -> signed agreement, over the read answers."""
    out: dict[str, dict[str, float]] = {}
    for s in records:
        if not s.value.get("unparsed"):
            out.setdefault(str(s.sample.get("axis")), {})[s.id] = float(s.value["signed"])
    return out


def positions(records: Sequence[Scored]) -> dict[str, float]:
    """The position on each axis (:func:`alignlab.metrics.axis_positions`) of the read answers."""
    read = [s for s in records if not s.value.get("unparsed")]
    if not read:
        return {}
    return axis_positions(
        [float(s.value["agreement"]) for s in read],
        [str(s.sample.get("axis")) for s in read],
        [int(s.sample.get("direction", 1)) for s in read],
    )


def kind_rows(
    kind: str,
    records: Sequence[Scored],
    settings: Mapping[str, Any],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> list[MetricResult]:
    """``position`` per axis (subset = axis): mean signed agreement in [-1, 1], bootstrap CI
    over statements; chance 0 (random answers land on the centre in expectation)."""
    unread = sum(bool(s.value.get("unparsed")) for s in records) / len(records) if records else 0
    scoring = "+".join(sorted({str(s.metadata.get("method") or "unknown") for s in records}))
    return [
        replace(
            mean_row(axis, "position", list(values.values()), n_resamples, seed, chance=0.0),
            unparsed_rate=unread,
            scoring=scoring,
            calibration=str(settings.get("calibration") or "none"),
        )
        for axis, values in signed_by_axis(records).items()
    ]


@metric
def compass_rows() -> Metric:
    """The run's ``position[axis]`` rows with CI and n (:func:`kind_rows`)."""
    return kind_metric(kind_rows, N_RESAMPLES)
