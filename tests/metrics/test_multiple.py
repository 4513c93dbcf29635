"""Tests for alignlab.metrics.multiple (Holm, d_z) and the paired comparison's error rates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alignlab.metrics import cohens_dz, holm_adjust, paired_difference, paired_permutation_p


def test_holm_hand_worked() -> None:
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06.
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # NaN kept out of m: two real tests, 0.02 * 2 = 0.04, then 0.6 * 1; capped at 1.
    assert holm_adjust([0.6, math.nan, 0.02]) == pytest.approx([0.6, math.nan, 0.04], nan_ok=True)
    assert holm_adjust([0.7, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm_adjust([]) == []
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjust([1.2])


def test_holm_rejects_as_the_step_down_procedure() -> None:
    # Holm's procedure as written: walk the sorted p-values, reject while p_(k) <= a / (m - k + 1).
    rng = np.random.default_rng(3)
    for _ in range(200):
        p = rng.uniform(0, 0.1, size=rng.integers(1, 8))
        alpha = 0.05
        rejected = set()
        for k, i in enumerate(np.argsort(p)):
            if p[i] > alpha / (len(p) - k):
                break
            rejected.add(int(i))
        adjusted = holm_adjust(p)
        assert {i for i, q in enumerate(adjusted) if q <= alpha} == rejected


def test_cohens_dz_against_scipy_paired_t() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 40)
    b = a + rng.normal(0.3, 1, 40)
    t = stats.ttest_rel(b, a).statistic
    assert cohens_dz(a, b) * math.sqrt(40) == pytest.approx(t)
    assert cohens_dz([1, 1], [1, 1]) == 0.0
    assert math.isnan(cohens_dz([0, 0], [1, 1]))  # every difference 1: no spread
    assert math.isnan(cohens_dz([0], [1]))


def test_permutation_p_against_scipy_on_continuous_scores() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 12)
    b = a + rng.normal(0.4, 1, 12)

    def mean_diff(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(y - x))

    # 2^12 sign vectors: both exact.
    ref = stats.permutation_test(
        (a, b), mean_diff, permutation_type="samples", n_resamples=np.inf, alternative="two-sided"
    )
    assert paired_permutation_p(a, b, n_resamples=9999) == pytest.approx(ref.pvalue)


def test_bootstrap_ci_close_to_scipy_paired_percentile() -> None:
    rng = np.random.default_rng(2)
    a = rng.binomial(1, 0.5, 150).astype(float)
    b = np.where(rng.uniform(size=150) < 0.8, a, 1 - a)
    ours = paired_difference(a, b, n_bootstrap=20000, seed=0)
    ref = stats.bootstrap(
        (b - a,), np.mean, n_resamples=20000, method="percentile", random_state=0
    ).confidence_interval
    assert ours.low == pytest.approx(ref.low, abs=0.01)
    assert ours.high == pytest.approx(ref.high, abs=0.01)


def _rejection_rate(p_a: float, p_b: float, n: int, trials: int, seed: int) -> tuple[float, float]:
    """Share of simulated comparisons with p < 0.05, and share whose CI holds the true difference.

    Each item has its own difficulty (shared by both conditions, as real items do); the two
    conditions answer it independently given that difficulty.
    """
    rng = np.random.default_rng(seed)
    rejected = covered = 0
    for t in range(trials):
        shift = rng.normal(0, 1, n)
        logit_a = math.log(p_a / (1 - p_a)) + shift
        logit_b = math.log(p_b / (1 - p_b)) + shift
        prob_a = 1 / (1 + np.exp(-logit_a))
        prob_b = 1 / (1 + np.exp(-logit_b))
        a = (rng.uniform(size=n) < prob_a).astype(float)
        b = (rng.uniform(size=n) < prob_b).astype(float)
        result = paired_difference(a, b, n_bootstrap=400, seed=t)
        rejected += result.p_value < 0.05
        true_difference = float(np.mean(prob_b - prob_a))
        covered += result.low <= true_difference <= result.high
    return rejected / trials, covered / trials


def test_comparison_holds_its_error_rates_in_simulation() -> None:
    # Null: same accuracy under both conditions. The false-rejection rate should be at most
    # 5% (the sign test is exact, slightly conservative); 300 trials: 3 SE of 0.05 is 0.038.
    null_rate, null_cover = _rejection_rate(0.6, 0.6, n=120, trials=300, seed=11)
    assert null_rate <= 0.05 + 0.038
    # A true difference of ~0.15 on 200 items: power well above 80%.
    power, cover = _rejection_rate(0.55, 0.72, n=200, trials=150, seed=12)
    assert power >= 0.8
    # The 95% CIs hold the true mean difference about 95% of the time in both settings.
    assert null_cover >= 0.95 - 0.04 and cover >= 0.95 - 0.05
