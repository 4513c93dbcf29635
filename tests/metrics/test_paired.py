"""Tests for alignlab.metrics.paired: hand-worked cases and scipy's reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alignlab.metrics import (
    PairedDifference,
    paired_bootstrap_diff_ci,
    paired_difference,
    paired_permutation_p,
)


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(y - x, axis=axis)


def _scipy_p(a: np.ndarray, b: np.ndarray, n_resamples: int = 9999) -> float:
    result = stats.permutation_test(
        (a, b),
        _mean_diff,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(1),
    )
    return float(result.pvalue)


# --- permutation test: hand-worked -------------------------------------------------------


def test_four_wins_and_a_tie() -> None:
    # d = [1, 1, 1, 1, 0]: only the 4 nonzero signs matter; all +1 is 1 of 16 sign vectors,
    # so P(T >= 4) = 1/16, P(T <= 4) = 1 and p = 2/16 = 0.125.
    a, b = [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]
    assert paired_permutation_p(a, b) == pytest.approx(0.125)
    assert _scipy_p(np.array(a, float), np.array(b, float)) == pytest.approx(0.125)


def test_unequal_differences_enumerated() -> None:
    # d = [3, -1, 2], t = 4. The 8 sign sums: 6, 2, 4, 0, 0, -4, -2, -6.
    # P(T >= 4) = 2/8, P(T <= 4) = 7/8, so p = 2 * 2/8 = 0.5.
    a, b = [0.0, 1.0, 0.0], [3.0, 0.0, 2.0]
    assert paired_permutation_p(a, b) == pytest.approx(0.5)
    assert _scipy_p(np.array(a), np.array(b)) == pytest.approx(0.5)


def test_direction_does_not_matter() -> None:
    a, b = [0.0, 1.0, 0.0, 0.5], [3.0, 0.0, 2.0, 2.0]
    assert paired_permutation_p(a, b) == pytest.approx(paired_permutation_p(b, a))


def test_no_difference_gives_one() -> None:
    assert paired_permutation_p([1, 0, 1], [1, 0, 1]) == 1.0
    # Balanced wins and losses: t = 0 sits in the middle of the null.
    assert paired_permutation_p([0, 1], [1, 0]) == 1.0


def test_no_items_is_nan() -> None:
    assert math.isnan(paired_permutation_p([], []))


def test_groups_flip_together() -> None:
    # d = [1, 1, -1, 1] in groups {0, 0} and {1, 1}: group sums [2, 0]; one nonzero unit,
    # so P(T >= 2) = 1/2 and p = 1.
    a, b, groups = [0, 0, 1, 0], [1, 1, 0, 1], ["g0", "g0", "g1", "g1"]
    assert paired_permutation_p(a, b, group_ids=groups) == pytest.approx(1.0)
    # Item by item: 3 of 4 signs positive, P(K >= 3) = 5/16, p = 10/16.
    assert paired_permutation_p(a, b) == pytest.approx(10 / 16)
    # One item per group is the item-level test.
    assert paired_permutation_p(a, b, group_ids=[0, 1, 2, 3]) == pytest.approx(10 / 16)


def test_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        paired_permutation_p([1, 0], [1])
    with pytest.raises(ValueError):
        paired_permutation_p([1, float("nan")], [1, 0])
    with pytest.raises(ValueError, match="n_resamples"):
        paired_permutation_p([1], [0], n_resamples=0)


# --- permutation test against scipy -------------------------------------------------------


def test_binary_scores_are_the_exact_sign_test() -> None:
    # 0/1 correctness on 200 items: exact for any n (binomial null), equal to the exact
    # binomial (McNemar) test on the discordant pairs, and to scipy's Monte Carlo estimate.
    rng = np.random.default_rng(3)
    a = (rng.random(200) < 0.55).astype(float)
    b = np.where(rng.random(200) < 0.25, 1 - a, a)
    b[:12] = 1.0
    p = paired_permutation_p(a, b)
    wins, losses = int(((b - a) > 0).sum()), int(((b - a) < 0).sum())
    assert p == pytest.approx(stats.binomtest(wins, wins + losses, 0.5).pvalue, rel=1e-9)
    assert p == pytest.approx(_scipy_p(a, b), abs=0.01)


def test_small_continuous_sample_matches_scipy_exactly() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=11), rng.normal(0.4, 1.0, size=11)
    # 2^11 = 2048 <= 9999: both enumerate every sign vector.
    assert paired_permutation_p(a, b) == pytest.approx(_scipy_p(a, b), rel=1e-12)


def test_large_continuous_sample_matches_scipy_within_monte_carlo_error() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(size=60)
    b = a + rng.normal(0.25, 1.0, size=60)
    ours = paired_permutation_p(a, b, n_resamples=20000, seed=0)
    # Standard error of a Monte Carlo p near 0.1 with 20000 draws is about 0.002.
    assert ours == pytest.approx(_scipy_p(a, b, n_resamples=20000), abs=0.012)
    assert paired_permutation_p(a, b, n_resamples=20000, seed=0) == ours  # reproducible


# --- bootstrap CI and the combined result -------------------------------------------------


def test_bootstrap_interval_matches_scipy_paired_percentile() -> None:
    rng = np.random.default_rng(11)
    a = rng.normal(size=50)
    b = a + rng.normal(0.3, 1.0, size=50)
    mean, low, high = paired_bootstrap_diff_ci(a, b, n_resamples=20000, seed=0)
    reference = stats.bootstrap(
        (a, b),
        _mean_diff,
        paired=True,
        vectorized=True,
        method="percentile",
        n_resamples=20000,
        rng=np.random.default_rng(2),
    ).confidence_interval
    assert mean == pytest.approx(float(np.mean(b - a)))
    # Monte Carlo error of a 2.5% quantile with 20000 resamples: about 0.004 here.
    assert low == pytest.approx(reference.low, abs=0.015)
    assert high == pytest.approx(reference.high, abs=0.015)


def test_paired_difference_hand_worked() -> None:
    # d = [1, 1, 1, 1, 0]: mean 0.8, p = 0.125 (see above). Every bootstrap resample's mean
    # lies in [0, 1], and one made of ties only (0) has probability (1/5)^5.
    result = paired_difference([0, 0, 0, 0, 1], [1, 1, 1, 1, 1])
    assert isinstance(result, PairedDifference)
    assert result.n == 5
    assert result.mean_difference == pytest.approx(0.8)
    assert result.p_value == pytest.approx(0.125)
    assert 0.0 <= result.low <= 0.8 <= result.high <= 1.0
    assert (result.low, result.high) == paired_bootstrap_diff_ci([0, 0, 0, 0, 1], [1, 1, 1, 1, 1])[
        1:
    ]


def test_paired_difference_of_nothing() -> None:
    result = paired_difference([], [])
    assert result.n == 0
    assert all(math.isnan(x) for x in (result.mean_difference, result.low, result.p_value))
