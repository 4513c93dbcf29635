"""Colour means "better than the baselines, beyond the CI"; zero-width intervals are degenerate."""

from __future__ import annotations

import math

import pytest

from alignlab.report import format as fmt
from alignlab.report.html import _value_class
from alignlab.report.results import MetricResult
from alignlab.scorers.choice_metrics import MIN_CLUSTERS, ChoiceUnit, choice_numbers


def _r(
    value: float,
    low: float,
    high: float,
    chance: float | None = 0.5,
    majority: float | None = None,
    higher: bool = True,
    n: int = 40,
) -> MetricResult:
    return MetricResult(
        "m", "t", "s", "metric", value, low, high, n, 0.0,
        chance=chance, majority=majority, higher_is_better=higher,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("row", "verdict"),
    [
        # Seen green: Scruples cross-entropy 2.492 against chance 1.609 (lower is better).
        (_r(2.492, 2.3, 2.7, chance=1.609, higher=False), "worse"),
        # Seen green: accuracy 0.386 equal to the majority baseline 0.386.
        (_r(0.386, 0.36, 0.41, chance=0.2, majority=0.386), ""),
        # Seen green: EALM exact match 0.262 below the majority 0.286.
        (_r(0.262, 0.22, 0.30, chance=0.0625, majority=0.286), ""),
        (_r(0.8, 0.7, 0.9, chance=0.5, majority=0.6), "better"),
        (_r(0.8, 0.65, 0.9, chance=0.5, majority=0.7), ""),  # CI reaches the majority
        (_r(0.2, 0.1, 0.3, chance=1.0, majority=0.8, higher=False), "better"),
        (_r(0.2, 0.1, 0.3, chance=0.5), "worse"),
        (_r(0.9, 0.8, 0.95, chance=None, majority=None), ""),  # nothing to beat
        (_r(0.8, 0.8, 0.8, chance=0.5, majority=0.8), ""),  # virtue: degenerate, = majority
        (_r(1.0, math.nan, math.nan), ""),
    ],
)
def test_colour_only_beyond_both_baselines(row: MetricResult, verdict: str) -> None:
    assert row.verdict == verdict
    assert _value_class(row) == {"better": "above", "worse": "below", "": ""}[verdict]


def test_zero_width_interval_is_degenerate_and_near_chance() -> None:
    f1 = _r(0.0, 0.0, 0.0, chance=0.5, n=42)
    assert f1.degenerate_interval and f1.ci_includes_chance
    assert fmt.result_interval(f1) == "[0.000, 0.000] degenerate"
    one_item = _r(1.0, 1.0, 1.0, n=1)
    assert not one_item.degenerate_interval
    assert fmt.result_interval(_r(0.6, 0.5, 0.7)) == "[0.500, 0.700]"


def _units(correct: list[float], groups: list[int]) -> list[ChoiceUnit]:
    return [
        ChoiceUnit(c, math.nan, 0.0, i % 2, g, None, "logprob", None)
        for i, (c, g) in enumerate(zip(correct, groups, strict=True))
    ]


def test_too_few_groups_fall_back_to_an_item_interval() -> None:
    # ETHICS deontology on 2 contrast groups of 4: each group half right. The cluster
    # bootstrap collapses to [0.5, 0.5]; the items give a real interval.
    correct = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    out = choice_numbers(_units(correct, [0] * 4 + [1] * 4), n_choices=2, group_size=4)
    low, high = out["accuracy.none.ci_low"], out["accuracy.none.ci_high"]
    assert low < 0.5 < high
    assert out["accuracy.ci_over_items"] == 1.0


def test_enough_groups_keep_the_cluster_bootstrap() -> None:
    groups = [g for g in range(MIN_CLUSTERS) for _ in range(2)]
    correct = [float(g % 2) for g in groups]
    out = choice_numbers(_units(correct, groups), n_choices=2, group_size=2)
    assert "accuracy.ci_over_items" not in out


def test_a_floored_choice_is_minus_infinity_calibrated_or_not() -> None:
    from alignlab.metrics.classification import calibrated_log_probs
    from alignlab.scorers.forced_choice import _prediction, calibrated_prediction

    # Choice 0 was not listed by the model (its value is the floor); choice 1 was.
    logprobs, floored, cf = [-0.5, -3.0], [True, False], [-5.0, -0.1]
    assert _prediction(logprobs, floored) == 1
    # With the floor taken as a value, calibration would pick the unlisted choice.
    assert int(calibrated_log_probs([logprobs], cf)[0].argmax()) == 0
    assert calibrated_prediction(logprobs, floored, cf) == 1
    assert calibrated_prediction(logprobs, [True, True], cf) is None
    assert calibrated_prediction([-2.0, -1.0], [False, False], [-5.0, -0.1]) == 0


def test_absurd_exchange_rates_are_flagged_and_every_rate_has_an_interval() -> None:
    from alignlab.benchmarks.utility.analysis import rate_interval, rate_note
    from alignlab.benchmarks.utility.fit import ExchangeRate

    def rate(n: float, low: float, high: float, usable: int = 200) -> ExchangeRate:
        return ExchangeRate("dogs", "people", n, low, high, usable, 200)

    assert "implausible" in rate_note(rate(7.53e17, 2.0, math.inf))  # seen on the bundled model
    assert "implausible" in rate_note(rate(1e-9, 1e-12, 1e-3))
    assert rate_note(rate(math.inf, math.nan, math.nan, 10)) == "not estimable"
    assert rate_note(rate(3.2, 2.0, 5.0)) == ""
    assert "unbounded" in rate_note(rate(3.2, 2.0, math.inf))
    assert "implausible" in rate_note(rate(3.2, 2.0, 4e7))
    assert rate_interval(rate(3.2, 2.0, 5.0)) == "[2.000, 5.000]"
    assert rate_interval(rate(3.2, 2.0, math.inf)) == "[2.000, ∞)"
    assert rate_interval(rate(3.2, math.nan, math.nan, 40)).startswith("not estimable (40 of 200")
