"""Bias and attack-success metrics: hand-worked values, and the rank tests and Wilson interval
against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alignlab.metrics.bias import (
    attack_success_rate,
    group_gap,
    hard_accuracy,
    holm_adjust,
    kruskal_wallis,
    mann_whitney_u,
    pairwise_mann_whitney,
    rates_by_category,
    soft_accuracy,
    wilson_interval,
)


def test_group_gap_hand_worked() -> None:
    gap = group_gap({"a": [0, 1], "b": [1, 1], "c": [0, 0, 0]})
    # Means 0.5, 1, 0: average 0.5; population std sqrt((0 + 0.25 + 0.25) / 3).
    assert gap.means == {"a": 0.5, "b": 1.0, "c": 0.0}
    assert gap.counts == {"a": 2, "b": 2, "c": 3}
    assert gap.average == pytest.approx(0.5)
    assert gap.std == pytest.approx(math.sqrt(1 / 6))
    assert (gap.max_min, gap.highest, gap.lowest) == (1.0, "b", "c")


def test_group_gap_refuses_empty_groups() -> None:
    with pytest.raises(ValueError, match="no scores"):
        group_gap({"a": [1.0], "b": []})
    with pytest.raises(ValueError, match="at least one group"):
        group_gap({})


def test_mann_whitney_hand_worked() -> None:
    # Ranks of x are 1 and 2: U = 3 - 3 = 0; mu = 2, var = 4/12 * 5 = 5/3,
    # z = (2 - 0.5) / sqrt(5/3) = 1.16190, p = 2 * (1 - Phi(z)) = 0.24528.
    u, p = mann_whitney_u([1, 2], [3, 4])
    assert u == 0.0
    assert p == pytest.approx(0.245278, abs=1e-6)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([0.1, 0.4, 0.35, 0.8, 0.9], [0.05, 0.2, 0.3, 0.3, 0.1, 0.0]),
        ([1, 1, 2, 2, 3], [2, 2, 3, 3, 3, 4]),  # ties
        (list(np.random.default_rng(1).random(30)), list(np.random.default_rng(2).random(25))),
    ],
)
def test_mann_whitney_matches_scipy(x: list[float], y: list[float]) -> None:
    expected = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)
    u, p = mann_whitney_u(x, y)
    assert u == pytest.approx(expected.statistic)
    assert p == pytest.approx(expected.pvalue, rel=1e-9)


def test_mann_whitney_all_tied_is_no_evidence() -> None:
    assert mann_whitney_u([0.0, 0.0], [0.0]) == (1.0, 1.0)


def test_holm_hand_worked() -> None:
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> running max 0.03, 0.06, 0.06.
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_pairwise_tests_cover_every_pair() -> None:
    scores = {"a": [1, 2], "b": [3, 4], "c": [1, 4]}
    tests = pairwise_mann_whitney(scores)
    assert [(t.first, t.second) for t in tests] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert tests[0].p == pytest.approx(0.245278, abs=1e-6)
    assert [t.p_holm for t in tests] == pytest.approx(holm_adjust([t.p for t in tests]))


def test_kruskal_wallis_hand_worked_and_scipy() -> None:
    # Ranks 1..4; R = 3 and 7: H = 12/20 * (9/2 + 49/2) - 15 = 2.4 on 1 df.
    h, p = kruskal_wallis({"a": [1, 2], "b": [3, 4]})
    assert h == pytest.approx(2.4)
    assert p == pytest.approx(stats.chi2.sf(2.4, 1))
    groups = {"a": [0.1, 0.2, 0.2, 0.9], "b": [0.3, 0.3, 0.5], "c": [0.0, 0.2, 0.7, 0.8]}
    expected = stats.kruskal(*groups.values())
    assert kruskal_wallis(groups) == pytest.approx((expected.statistic, expected.pvalue))


def test_wilson_hand_worked() -> None:
    # 0 of 10: centre = z^2/20 and half-width = z * sqrt(z^2/400) are equal, so low = 0;
    # high = 2 * 0.1920729 / (1 + z^2/10) = 0.277533.
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.277533, abs=1e-6)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (17, 40), (1, 1)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    expected = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert wilson_interval(k, n) == pytest.approx((expected.low, expected.high))


def test_wilson_refuses_bad_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_attack_success_rate_leaves_unread_out() -> None:
    rate = attack_success_rate([True, False, None, True, False])
    assert (rate.successes, rate.n, rate.unread) == (2, 4, 1)
    assert rate.value == 0.5
    assert rate.unread_rate == pytest.approx(0.2)
    assert (rate.ci_low, rate.ci_high) == pytest.approx(wilson_interval(2, 4))
    assert math.isnan(attack_success_rate([None]).value)


def test_rates_by_category() -> None:
    rates = rates_by_category([True, True, False, None], ["x", "y", "x", "y"])
    assert list(rates) == ["x", "y"]
    assert (rates["x"].value, rates["x"].n) == (0.5, 2)
    assert (rates["y"].value, rates["y"].n, rates["y"].unread) == (1.0, 1, 1)
    with pytest.raises(ValueError, match="length"):
        rates_by_category([True], [])


def test_hard_and_soft_accuracy_hand_worked() -> None:
    predicted = ["good", "neutral", "bad", None]
    gold = ["neutral", "neutral", "good", "bad"]
    # Exact: only the second. Soft: good ~ neutral, so the first counts too.
    assert hard_accuracy(predicted, gold) == 0.25
    assert soft_accuracy(predicted, gold) == 0.5


def test_group_gap_ci_brackets_the_gap_and_is_a_point_without_spread() -> None:
    from alignlab.metrics.bias import group_gap_ci

    scores = {"a": [0.0, 0.1, 0.2, 0.1], "b": [0.6, 0.7, 0.9, 0.8], "c": [0.3, 0.3, 0.4, 0.2]}
    gap = group_gap(scores)
    ci = group_gap_ci(scores, n_resamples=500, seed=3)
    assert ci["std"][0] <= gap.std <= ci["std"][1]
    assert ci["max_min"][0] <= gap.max_min <= ci["max_min"][1]
    # Constant groups: every resample has the same means, so the CI is the point.
    flat = group_gap_ci({"a": [0.2, 0.2], "b": [0.5, 0.5]}, n_resamples=50)
    assert flat["max_min"] == pytest.approx((0.3, 0.3))
    assert flat["std"] == pytest.approx((0.15, 0.15))


def test_axis_positions_hand_worked() -> None:
    from alignlab.metrics.bias import axis_positions

    # Economic: agree (+1) with a right statement, disagree (-1/3) with a left one:
    # (1 * 1 + (-1) * (-1/3)) / 2 = 2/3. Social: strongly agree with a libertarian one: -1.
    positions = axis_positions([1.0, -1 / 3, 1.0], ["economic", "economic", "social"], [1, -1, -1])
    assert positions == pytest.approx({"economic": 2 / 3, "social": -1.0})
    with pytest.raises(ValueError, match="direction"):
        axis_positions([1.0], ["economic"], [0])


def test_position_spread() -> None:
    from alignlab.metrics.bias import position_spread

    spread = position_spread([{"e": 0.1, "s": -0.2}, {"e": 0.4, "s": -0.2}, {"e": 0.2, "s": 0.0}])
    assert spread == pytest.approx({"e": 0.3, "s": 0.2})
