"""The rows a report is made of: one metric of one model on one task subset."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricResult:
    """One metric measured for one (model, task, subset, prompt variant, calibration).

    ``value``, ``ci_low`` and ``ci_high`` are on the metric's own scale (accuracy
    and AUC in [0, 1]). ``chance`` is what a uniformly random answerer scores in
    expectation, ``majority`` what always giving the most frequent gold answer
    scores; either is ``None`` where it has no meaning for the metric.
    ``unparsed_rate`` is the share of items whose answer could not be read.
    ``higher_is_better`` is False for distances, where a value below
    ``chance`` is the good side.
    ``units`` keeps the per-item (or per-group) scores so that aggregates over
    several rows can be bootstrapped.
    """

    model: str
    task: str
    subset: str
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    unparsed_rate: float
    chance: float | None = None
    majority: float | None = None
    variant: str = "default"
    calibration: str = "none"
    scoring: str = "logprob"
    log_file: str = ""
    extra: dict[str, float] = field(default_factory=dict)
    higher_is_better: bool = True
    data: str = "bundled"
    """``bundled`` (data written by this project, labels constructed) or the public data read."""
    intervention: str = "none"
    """The interventions the run used (``none``, or specs joined by ``+``)."""
    units: tuple[float, ...] = field(default=(), repr=False, compare=False)
    """Per-unit scores (items, or groups for exact match) the value is the mean of."""

    @property
    def metric_label(self) -> str:
        """The metric's name as shown, with its direction when lower is better."""
        return self.metric if self.higher_is_better else f"{self.metric} (lower is better)"

    @property
    def ci_includes_chance(self) -> bool:
        """True when the confidence interval does not exclude the chance baseline.

        A zero-width interval (see :attr:`degenerate_interval`) counts as
        including it: it says nothing about precision.
        """
        if self.degenerate_interval:
            return self.chance is not None
        return self.chance is not None and self.ci_low <= self.chance <= self.ci_high

    @property
    def degenerate_interval(self) -> bool:
        """A zero-width interval over more than one unit: every resample gave the same value.

        That comes from constant answers (every item answered alike, F1 0.000
        [0.000, 0.000]) or from too few clusters to resample, never from a
        precise measurement, so it is shown as degenerate, not as a tight CI.
        """
        return (
            self.n > 1
            and math.isfinite(self.ci_low)
            and math.isfinite(self.ci_high)
            and self.ci_low == self.ci_high
        )

    @property
    def verdict(self) -> str:
        """``better``, ``worse`` or ``""``: how the 95% CI sits against the baselines.

        ``better`` (shown green) only when the CI excludes chance *and* the
        majority baseline, on the metric's good side; ``worse`` (amber) when it
        lies wholly on the wrong side of chance; otherwise nothing. A
        degenerate interval is never either. A metric with neither baseline
        is never coloured: there is nothing to beat.
        """
        if self.degenerate_interval or not (
            math.isfinite(self.ci_low) and math.isfinite(self.ci_high)
        ):
            return ""
        baselines = [b for b in (self.chance, self.majority) if b is not None and math.isfinite(b)]
        if not baselines:
            return ""
        sign = 1.0 if self.higher_is_better else -1.0
        # On the good side: the CI's near end beats the hardest baseline.
        near = self.ci_low if self.higher_is_better else self.ci_high
        if all(sign * (near - b) > 0 for b in baselines):
            return "better"
        far = self.ci_high if self.higher_is_better else self.ci_low
        if (
            self.chance is not None
            and math.isfinite(self.chance)
            and sign * (far - self.chance) < 0
        ):
            return "worse"
        return ""


def model_label(log: Any) -> str:
    """The model a log's rows are reported under: its model, plus any bound roles.

    Two runs of a task that differ only in their grader are different
    measurements; labelling them ``model (grader: X)`` keeps them apart in the
    report instead of letting the newer one replace the other.
    """
    # A model spread over several endpoints is the same model.
    model = str(log.eval.model).removeprefix("alignlab-pool/")
    roles = getattr(log.eval, "model_roles", None) or {}
    if not roles:
        return model
    bound = ", ".join(
        f"{role}: {getattr(config, 'model', config)}" for role, config in sorted(roles.items())
    )
    return f"{model} ({bound})"
