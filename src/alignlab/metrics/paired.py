"""Paired comparison of two conditions scored on the same items: bootstrap CI and permutation test.

For an intervention against its baseline on shared items, the per-item
differences :math:`d_i = b_i - a_i` carry the comparison; what an item shares
under both conditions (its difficulty) cancels.

References:
    [ET] Efron, Tibshirani. "An Introduction to the Bootstrap." Chapman & Hall, 1993
        (percentile interval: ch. 13; permutation tests: ch. 15).
    [Koehn] Koehn. "Statistical Significance Tests for Machine Translation Evaluation."
        EMNLP 2004 (paired bootstrap resampling of two systems on the same items).
    [PS] Phipson, Smyth. "Permutation P-values Should Never Be Zero." Statistical
        Applications in Genetics and Molecular Biology 9(1), 2010 (the +1 correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alignlab.metrics._validate import (
    Floats,
    GroupIds,
    as_float_vector,
    check_positive_int,
    check_same_length,
    group_codes,
)
from alignlab.metrics.bootstrap import paired_bootstrap_diff_ci

__all__ = ["PairedDifference", "paired_difference", "paired_permutation_p"]

# Rows of sign flips drawn per block in the Monte Carlo test (memory stays flat).
_BLOCK_VALUES = 2**22


def paired_permutation_p(
    a: Floats,
    b: Floats,
    *,
    group_ids: GroupIds | None = None,
    n_resamples: int = 9999,
    seed: int = 0,
) -> float:
    r"""Two-sided paired permutation (sign-flip) p-value of the mean difference :math:`\bar d`.

    Under the null hypothesis that the two conditions are exchangeable on each
    item, every :math:`d_i = b_i - a_i` is as likely to have the other sign, so
    the null distribution of :math:`T = \sum_i s_i d_i` takes the signs
    :math:`s_i = \pm 1` at random [ET, ch. 15]. With ``group_ids`` whole groups
    flip together (items of a group are not independent): the units are the
    groups' sums of :math:`d_i`. The p-value is ``scipy.stats.permutation_test``'s
    (``permutation_type="samples"``, ``alternative="two-sided"``):
    :math:`p = \min(1, 2 \min(P(T \le t), P(T \ge t)))` for the observed :math:`t`.

    * Every nonzero unit of the same size (per-item correctness, 0/1): the null
      is :math:`c\,(2K - m)` with :math:`K \sim \mathrm{Binomial}(m, 1/2)` over the
      :math:`m` nonzero units, so :math:`p` is exact for any :math:`m` (the exact
      sign test, i.e. McNemar's exact test for paired 0/1 scores).
    * Otherwise, when :math:`2^m \le` `n_resamples`: every sign vector, exact.
    * Otherwise `n_resamples` random sign vectors (``np.random.default_rng(seed)``),
      counted with the +1 correction [PS]: :math:`P(T \ge t) \approx
      (1 + \#\{T^* \ge t\}) / (1 + B)`.

    Units with :math:`d = 0` flip to themselves, so they change no probability.

    Args:
        a: baseline score of each item.
        b: the other condition's score of the same items, in the same order.
        group_ids: optional group id per item; a group's items flip together.
        n_resamples: random sign vectors when no exact method applies.
        seed: seed of ``np.random.default_rng``.

    Returns:
        The p-value in (0, 1]; NaN when there are no items.

    Raises:
        ValueError: if lengths differ, a score is NaN or infinite, or
            `n_resamples` is not a positive integer.
    """
    differences = _differences(a, b)
    check_positive_int(n_resamples, "n_resamples")
    if differences.size == 0:
        return math.nan
    units = differences
    if group_ids is not None:
        check_same_length(differences, group_ids, "a", "group_ids")
        codes, n_groups = group_codes(group_ids, "group_ids")
        units = np.bincount(codes, weights=differences, minlength=n_groups).astype(np.float64)
    # Relative tolerance for sums that are equal in theory but not in floating point
    # (scipy's rule, on the scale of the sum).
    observed = float(units.sum())
    gamma = abs(observed) * np.finfo(np.float64).eps * 100
    nonzero = units[units != 0]
    m = nonzero.size
    if m == 0:
        return 1.0
    magnitudes = np.abs(nonzero)
    if np.allclose(magnitudes, magnitudes[0], rtol=1e-12, atol=0.0):
        positives = int((nonzero > 0).sum())
        from scipy.stats import binom  # imported here: scipy.stats costs ~1 s to import

        p_greater = float(binom.sf(positives - 1, m, 0.5))
        p_less = float(binom.cdf(positives, m, 0.5))
    else:
        if 2**m <= n_resamples:
            null = _all_sign_sums(nonzero)
            adjustment = 0
        else:
            null = _random_sign_sums(nonzero, n_resamples, seed)
            adjustment = 1
        total = null.size + adjustment
        p_greater = (int((null >= observed - gamma).sum()) + adjustment) / total
        p_less = (int((null <= observed + gamma).sum()) + adjustment) / total
    return float(min(1.0, 2.0 * min(p_greater, p_less)))


@dataclass(frozen=True)
class PairedDifference:
    """A paired comparison on ``n`` shared items: mean of :math:`b_i - a_i`, its CI, its p-value."""

    n: int
    mean_difference: float
    low: float
    high: float
    p_value: float


def paired_difference(
    a: Floats,
    b: Floats,
    *,
    group_ids: GroupIds | None = None,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    n_permutations: int = 9999,
    seed: int = 0,
) -> PairedDifference:
    r"""Mean paired difference :math:`\bar d = \frac1n\sum_i (b_i - a_i)`, bootstrap CI, p-value.

    The interval is the percentile bootstrap of :math:`\bar d` resampling items
    (or whole groups) with the same indices for both conditions [Koehn; ET,
    ch. 13], as :func:`~alignlab.metrics.paired_bootstrap_diff_ci`; the p-value
    is :func:`paired_permutation_p`'s.

    Args:
        a: baseline score of each item.
        b: the other condition's score of the same items, in the same order.
        group_ids: optional group id per item (cluster bootstrap, group sign flips).
        confidence: coverage of the interval, in (0, 1).
        n_bootstrap: bootstrap resamples.
        n_permutations: random sign vectors when the test cannot be exact.
        seed: seed of both.

    Returns:
        A :class:`PairedDifference`; all NaN (``n=0``) for no items.

    Raises:
        ValueError: as :func:`paired_permutation_p`, or an option out of range.
    """
    mean, low, high = paired_bootstrap_diff_ci(
        a, b, group_ids=group_ids, confidence=confidence, n_resamples=n_bootstrap, seed=seed
    )
    p = paired_permutation_p(a, b, group_ids=group_ids, n_resamples=n_permutations, seed=seed)
    return PairedDifference(len(_differences(a, b)), mean, low, high, p)


def _differences(a: Floats, b: Floats) -> NDArray[np.float64]:
    baseline = as_float_vector(a, "a")
    other = as_float_vector(b, "b")
    check_same_length(baseline, other, "a", "b")
    return other - baseline


def _all_sign_sums(units: NDArray[np.float64]) -> NDArray[np.float64]:
    """:math:`\\sum_i s_i u_i` for every one of the :math:`2^m` sign vectors."""
    m = units.size
    bits = (np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1
    return np.asarray((1 - 2 * bits) @ units, dtype=np.float64)


def _random_sign_sums(
    units: NDArray[np.float64], n_resamples: int, seed: int
) -> NDArray[np.float64]:
    """:math:`\\sum_i s_i u_i` for `n_resamples` random sign vectors, drawn in blocks."""
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_VALUES // units.size)
    sums = []
    for done in range(0, n_resamples, block):
        rows = min(block, n_resamples - done)
        signs = rng.integers(0, 2, size=(rows, units.size)) * 2 - 1
        sums.append(signs @ units)
    return np.concatenate(sums)
