"""Tests for alignlab.metrics.bootstrap: hand-worked intervals, edge cases, scipy references.

Comparing two bootstraps: both intervals are Monte Carlo estimates of the same
quantiles of the bootstrap distribution. With B resamples the standard error of
the 2.5% quantile is sqrt(0.025 * 0.975 / B) / f(q), where f is the density there;
for a near-normal bootstrap distribution with standard deviation s,
f(q) = phi(1.96) / s = 0.0584 / s, so the error is about 2.67 s / sqrt(B). Two
independent estimates with B = 10_000 each then differ by about 0.038 s (standard
error), and 0.2 s is over 5 of those, while a wrong interval (say 90% instead of
95%, which moves each end by 0.31 s) fails.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from alignlab.metrics import (
    bootstrap_ci,
    bootstrap_ci_auc,
    grouped_bootstrap_ci,
    paired_bootstrap_diff_ci,
    roc_auc,
)

TOLERANCE_IN_BOOTSTRAP_SD = 0.2


def _scipy_percentile(
    data: tuple[np.ndarray, ...], statistic: Any, **options: Any
) -> tuple[float, float, float]:
    """scipy's percentile interval and the bootstrap standard deviation."""
    result = stats.bootstrap(
        data, statistic, method="percentile", rng=np.random.default_rng(12345), **options
    )
    low, high = result.confidence_interval
    return float(low), float(high), float(result.standard_error)


# --- bootstrap_ci -----------------------------------------------------------------------


def test_bootstrap_ci_by_hand() -> None:
    # Resamples of [0, 1] have mean 0, 1/2, 1 with probability 1/4, 1/2, 1/4.
    # 95%: the 2.5% and 97.5% quantiles fall in the 0 and 1 masses -> (0, 1).
    # 40%: the 30% and 70% quantiles both fall in the 1/2 mass (25%..75%) -> (1/2, 1/2).
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_ci([0.0, 1.0], confidence=0.4) == (0.5, 0.5)


@pytest.mark.parametrize("statistic", [np.mean, np.median])
def test_bootstrap_ci_matches_scipy_percentile(statistic: Any) -> None:
    values = np.random.default_rng(5).exponential(size=300)
    low, high, sd = _scipy_percentile((values,), statistic, n_resamples=10_000)
    ours = bootstrap_ci(values, statistic, n_resamples=10_000)
    assert ours[0] == pytest.approx(low, abs=TOLERANCE_IN_BOOTSTRAP_SD * sd)
    assert ours[1] == pytest.approx(high, abs=TOLERANCE_IN_BOOTSTRAP_SD * sd)


def test_bootstrap_ci_matches_scipy_at_other_confidence() -> None:
    # At 80% the quantiles are 10%/90%: MC error is smaller than at 2.5%, same tolerance.
    values = np.random.default_rng(6).normal(size=500)
    low, high, sd = _scipy_percentile((values,), np.mean, n_resamples=10_000, confidence_level=0.8)
    ours = bootstrap_ci(values, confidence=0.8, n_resamples=10_000)
    assert ours == pytest.approx((low, high), abs=TOLERANCE_IN_BOOTSTRAP_SD * sd)


def test_bootstrap_ci_statistic_without_axis_gives_same_interval() -> None:
    # A statistic without `axis` is applied one resample at a time, on the same draws.
    values = np.random.default_rng(7).normal(size=200)
    vectorised = bootstrap_ci(values, np.mean, seed=3)
    one_by_one = bootstrap_ci(values, lambda sample: float(sum(sample) / len(sample)), seed=3)
    assert one_by_one == pytest.approx(vectorised, rel=1e-12)


def test_bootstrap_ci_is_reproducible_and_depends_on_seed() -> None:
    values = np.random.default_rng(8).normal(size=100)
    assert bootstrap_ci(values, seed=1) == bootstrap_ci(values, seed=1)
    assert bootstrap_ci(values, seed=1) != bootstrap_ci(values, seed=2)


def test_bootstrap_ci_edge_cases() -> None:
    assert all(math.isnan(end) for end in bootstrap_ci([]))
    assert bootstrap_ci([3.0]) == (3.0, 3.0)
    # One item: every resample is the data, so the interval is the statistic of it.
    assert bootstrap_ci([3.0], np.std) == (0.0, 0.0)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1])
def test_bootstrap_ci_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence must be strictly between 0 and 1"):
        bootstrap_ci([1.0, 2.0], confidence=confidence)


def test_bootstrap_ci_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 1"):
        bootstrap_ci([1.0, 2.0], n_resamples=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        bootstrap_ci([1.0, float("nan")])


# --- grouped_bootstrap_ci ---------------------------------------------------------------


def test_grouped_bootstrap_ci_by_hand() -> None:
    # Groups a = [0, 0], b = [1, 1]. Drawing 2 groups gives mean 0, 1/2, 1 with
    # probability 1/4, 1/2, 1/4, so the 80% interval (10%, 90% quantiles) is (0, 1).
    # Resampling the 4 items instead gives mean k/4 with k ~ Binomial(4, 1/2):
    # P(k=0) = 1/16, P(k<=1) = 5/16, so the 10% quantile is 1/4 and by symmetry the
    # 90% one is 3/4: the item bootstrap is too narrow for clustered items.
    values = [0.0, 0.0, 1.0, 1.0]
    assert grouped_bootstrap_ci(values, ["a", "a", "b", "b"], confidence=0.8) == (0.0, 1.0)
    assert bootstrap_ci(values, confidence=0.8) == (0.25, 0.75)


def test_grouped_bootstrap_ci_singleton_groups_equal_item_bootstrap() -> None:
    values = np.random.default_rng(10).normal(size=150)
    assert grouped_bootstrap_ci(values, np.arange(150), seed=4) == pytest.approx(
        bootstrap_ci(values, seed=4), rel=1e-12
    )


def test_grouped_bootstrap_ci_of_identical_copies_equals_bootstrap_of_groups() -> None:
    # Each group holds 4 copies of one value: a group resample's mean is the mean of
    # the drawn group values, so the interval is the item bootstrap of the 80 values,
    # and it is wider than the naive bootstrap over all 320 copies (about 2x = sqrt 4).
    group_values = np.random.default_rng(11).normal(size=80)
    values = np.repeat(group_values, 4)
    ids = np.repeat(np.arange(80), 4)
    grouped = grouped_bootstrap_ci(values, ids, seed=5)
    assert grouped == pytest.approx(bootstrap_ci(group_values, seed=5), rel=1e-9)
    naive = bootstrap_ci(values, seed=5)
    assert (grouped[1] - grouped[0]) / (naive[1] - naive[0]) == pytest.approx(2.0, rel=0.15)


def test_grouped_bootstrap_ci_unequal_groups_match_explicit_loop() -> None:
    # Reference: the documented procedure written out with Python loops, on the
    # documented draws (groups numbered by first appearance, one row of
    # rng.integers(0, G, size=(B, G)) per resample).
    rng = np.random.default_rng(12)
    ids = rng.integers(0, 30, size=200).tolist()  # scattered groups of unequal size
    values = rng.normal(size=200) + np.array(ids) / 10
    groups: dict[int, list[float]] = {}
    for group_id, value in zip(ids, values, strict=True):
        groups.setdefault(group_id, []).append(value)
    members = list(groups.values())
    assert len({len(m) for m in members}) > 1
    picks = np.random.default_rng(6).integers(0, len(members), size=(500, len(members)))
    medians = [np.median([v for g in row for v in members[g]]) for row in picks]
    expected = tuple(np.quantile(medians, [0.05, 0.95]))
    ours = grouped_bootstrap_ci(values, ids, np.median, confidence=0.9, n_resamples=500, seed=6)
    assert ours == pytest.approx(expected, rel=1e-12)


def test_grouped_bootstrap_ci_edge_cases() -> None:
    assert all(math.isnan(end) for end in grouped_bootstrap_ci([], []))
    # One group: every resample is that group.
    assert grouped_bootstrap_ci([1.0, 3.0], ["g", "g"]) == (2.0, 2.0)
    with pytest.raises(ValueError, match="same length"):
        grouped_bootstrap_ci([1.0, 2.0], ["a"])
    with pytest.raises(ValueError, match="confidence"):
        grouped_bootstrap_ci([1.0, 2.0], ["a", "b"], confidence=2.0)


# --- paired_bootstrap_diff_ci -----------------------------------------------------------


def test_paired_bootstrap_diff_ci_by_hand() -> None:
    # d = b - a = [1, 1, 0, 0], mean 1/2. As in the item bootstrap above, the 80%
    # interval of the mean of 4 draws from {0, 1} is (1/4, 3/4).
    assert paired_bootstrap_diff_ci([0, 0, 1, 1], [1, 1, 1, 1], confidence=0.8) == (
        0.5,
        0.25,
        0.75,
    )


def test_paired_bootstrap_diff_ci_resamples_pairs_together() -> None:
    # b is a shifted by exactly 0.1: every paired resample has difference 0.1, though
    # a itself varies a lot. Resampling a and b independently would give a wide interval.
    a = np.random.default_rng(14).normal(scale=10.0, size=100)
    assert paired_bootstrap_diff_ci(a, a + 0.1) == pytest.approx((0.1, 0.1, 0.1))


def test_paired_bootstrap_diff_ci_matches_scipy_paired() -> None:
    rng = np.random.default_rng(15)
    a = rng.random(400) < 0.6
    b = rng.random(400) < np.where(a, 0.9, 0.3)  # correlated with a
    low, high, sd = _scipy_percentile(
        (a.astype(float), b.astype(float)),
        lambda x, y, axis: np.mean(y - x, axis=axis),
        paired=True,
        n_resamples=10_000,
    )
    mean, ours_low, ours_high = paired_bootstrap_diff_ci(a, b, n_resamples=10_000)
    assert mean == pytest.approx(b.mean() - a.mean())
    assert (ours_low, ours_high) == pytest.approx((low, high), abs=TOLERANCE_IN_BOOTSTRAP_SD * sd)


def test_paired_bootstrap_diff_ci_with_groups_is_grouped_bootstrap_of_differences() -> None:
    rng = np.random.default_rng(16)
    a, b = rng.normal(size=120), rng.normal(size=120)
    ids = np.arange(120) // 4
    mean, low, high = paired_bootstrap_diff_ci(a, b, group_ids=ids, seed=7)
    assert (low, high) == grouped_bootstrap_ci(b - a, ids, seed=7)
    assert mean == pytest.approx(np.mean(b - a))


def test_paired_bootstrap_diff_ci_edge_cases() -> None:
    assert all(math.isnan(x) for x in paired_bootstrap_diff_ci([], []))
    assert paired_bootstrap_diff_ci([1.0], [3.0]) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="a and b must have the same length"):
        paired_bootstrap_diff_ci([1.0, 2.0], [1.0])


# --- bootstrap_ci_auc -------------------------------------------------------------------


def _mann_whitney_auc(positives: np.ndarray, negatives: np.ndarray, axis: int) -> np.ndarray:
    """AUC = U1 / (n1 n0), with scipy's U statistic (ties count 1/2)."""
    u_statistic = stats.mannwhitneyu(positives, negatives, axis=axis, method="asymptotic")
    return u_statistic.statistic / (positives.shape[axis] * negatives.shape[axis])


def _auc_data(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    # Integer scores, positives shifted by one: many ties within and across classes.
    return (rng.integers(0, 8, size=n) + labels).astype(float), labels


def test_bootstrap_ci_auc_by_hand() -> None:
    # Positives [1, 3], negative [2]: a stratified resample keeps the negative and
    # draws 2 positives: {1,1} -> AUC 0, {1,3} -> 1/2, {3,3} -> 1 with probability
    # 1/4, 1/2, 1/4. So the 95% interval is (0, 1) and the 40% one (1/2, 1/2).
    scores, labels = [1.0, 3.0, 2.0], [1, 1, 0]
    assert bootstrap_ci_auc(scores, labels) == (0.0, 1.0)
    assert bootstrap_ci_auc(scores, labels, confidence=0.4) == (0.5, 0.5)


def test_bootstrap_ci_auc_plain_by_hand() -> None:
    # Same data, plain resampling of 3 items (27 equally likely draws). AUC = share of
    # the drawn positives that are the 3. Counts (negatives, 1s, 3s) with both classes:
    # (1,2,0) x3 -> 0, (1,1,1) x6 -> 1/2, (1,0,2) x3 -> 1, (2,1,0) x3 -> 0, (2,0,1) x3 -> 1,
    # so 0, 1/2, 1 each have probability 6/18 = 1/3 once the 9 one-class draws are
    # skipped. At 42% confidence the 29% and 71% quantiles fall in the 0 and 1 masses
    # -> (0, 1), while the stratified distribution (1/4, 1/2, 1/4) gives (1/2, 1/2).
    # 20_000 resamples keep the empirical masses within about 0.3% of 1/3 and 1/4.
    scores, labels = [1.0, 3.0, 2.0], [1, 1, 0]
    plain = bootstrap_ci_auc(scores, labels, stratified=False, confidence=0.42, n_resamples=20_000)
    stratified = bootstrap_ci_auc(scores, labels, confidence=0.42, n_resamples=20_000)
    assert plain == (0.0, 1.0)
    assert stratified == (0.5, 0.5)


def test_bootstrap_ci_auc_perfect_separation() -> None:
    # Every positive outscores every negative, so every resample has AUC 1.
    scores, labels = [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]
    assert bootstrap_ci_auc(scores, labels) == (1.0, 1.0)
    assert bootstrap_ci_auc(scores, labels, stratified=False) == (1.0, 1.0)


def test_bootstrap_ci_auc_plain_skips_one_class_resamples() -> None:
    # 3 items, 1 positive: 1/27 + 8/27 of plain resamples miss a class. Any resample
    # with both has AUC 1 (3 beats 1 and 2), so skipping gives (1, 1); counting the
    # missed ones as 0 or NaN would not.
    assert bootstrap_ci_auc([3.0, 1.0, 2.0], [1, 0, 0], stratified=False) == (1.0, 1.0)


def test_bootstrap_ci_auc_stratified_matches_scipy_two_sample() -> None:
    # scipy resamples each of several samples independently when paired=False:
    # that is the stratified bootstrap, with the U statistic as reference AUC.
    scores, labels = _auc_data(17)
    positives, negatives = scores[labels == 1], scores[labels == 0]
    low, high, sd = _scipy_percentile((positives, negatives), _mann_whitney_auc, n_resamples=10_000)
    ours = bootstrap_ci_auc(scores, labels, n_resamples=10_000)
    assert ours == pytest.approx((low, high), abs=TOLERANCE_IN_BOOTSTRAP_SD * sd)
    assert ours[0] < roc_auc(scores, labels) < ours[1]


def test_bootstrap_ci_auc_plain_matches_scipy_paired() -> None:
    # Plain bootstrap of (score, label) pairs with sklearn as reference. sklearn is
    # not vectorised, so scipy gets B = 2000 and we 20_000: the standard error of the
    # difference is 2.67 s * sqrt(1/2000 + 1/20000) = 0.063 s, and 0.35 s is > 5 of it.
    # With 100 of each class a resample missing a class has probability ~1e-30.
    scores, labels = _auc_data(18)
    low, high, sd = _scipy_percentile(
        (scores, labels),
        lambda s, y: roc_auc_score(y, s),
        paired=True,
        vectorized=False,
        n_resamples=2000,
    )
    ours = bootstrap_ci_auc(scores, labels, stratified=False, n_resamples=20_000)
    assert ours == pytest.approx((low, high), abs=0.35 * sd)


def test_bootstrap_ci_auc_edge_cases() -> None:
    assert all(math.isnan(end) for end in bootstrap_ci_auc([], []))
    assert all(math.isnan(end) for end in bootstrap_ci_auc([0.1, 0.5], [1, 1]))
    with pytest.raises(ValueError, match="labels must hold only 0"):
        bootstrap_ci_auc([0.1, 0.5], [1, 3])
    with pytest.raises(ValueError, match="same length"):
        bootstrap_ci_auc([0.1, 0.5], [1])
