"""Percentile bootstrap confidence intervals: over items, over groups, paired, and for AUC.

References:
    [ET] Efron, Tibshirani. "An Introduction to the Bootstrap." Chapman & Hall, 1993
        (percentile interval: ch. 13).
    [Koehn] Koehn. "Statistical Significance Tests for Machine Translation Evaluation."
        EMNLP 2004 (paired bootstrap resampling of two systems on the same items).
    [DH] Davison, Hinkley. "Bootstrap Methods and their Application." Cambridge, 1997
        (resampling clusters, sec. 3.8; stratified resampling, sec. 3.2).
    [FW] Field, Welsh. "Bootstrapping Clustered Data." JRSS-B 69(3), 2007.
    [pROC] Robin et al. "pROC: an open-source package for R and S+ to analyze and compare
        ROC curves." BMC Bioinformatics 12:77, 2011 (stratified AUC bootstrap).

All functions are reproducible: a given seed always gives the same interval. In
:func:`bootstrap_ci` and :func:`grouped_bootstrap_ci` the resamples are the rows of
``np.random.default_rng(seed).integers(0, m, size=(n_resamples, m))``, with ``m``
items, or ``m`` groups numbered in order of first appearance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alignlab.metrics._validate import (
    Floats,
    GroupIds,
    Labels,
    as_binary_labels,
    as_float_vector,
    check_positive_int,
    check_same_length,
    group_codes,
)

__all__ = [
    "bootstrap_ci",
    "bootstrap_ci_auc",
    "grouped_bootstrap_ci",
    "paired_bootstrap_diff_ci",
]

Statistic = Callable[..., Any]
"""A function from a 1-D float array to a number, e.g. ``np.mean``.

If it also takes ``axis=`` (as numpy reductions do) it is called once on a whole
block of resamples with ``axis=-1``; otherwise once per resample.
"""

# Resamples are drawn in blocks of about this many values (32 MiB of float64), so
# memory stays flat however many resamples are asked for.
_BLOCK_VALUES = 2**22


def bootstrap_ci(
    values: Floats,
    statistic: Statistic = np.mean,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    r"""Percentile bootstrap confidence interval of `statistic` over independent items.

    Draw :math:`B` = `n_resamples` samples of size :math:`n` with replacement,
    compute :math:`\hat\theta^*_b = T(x^*_b)`, and return the empirical
    :math:`\alpha/2` and :math:`1 - \alpha/2` quantiles of the :math:`\hat\theta^*_b`
    (linear interpolation), with :math:`\alpha = 1 -` `confidence` [ET, ch. 13].
    Matches ``scipy.stats.bootstrap(method="percentile")`` up to Monte Carlo error.

    Args:
        values: one number per item.
        statistic: :math:`T`, a function of a 1-D array returning a number (see
            :data:`Statistic`).
        confidence: coverage of the interval, in (0, 1).
        n_resamples: number of bootstrap resamples :math:`B \ge 1`.
        seed: seed of ``np.random.default_rng``.

    Returns:
        ``(low, high)``. ``(nan, nan)`` for no items; for one item every resample
        equals the data, so the interval is ``(T(x), T(x))``.

    Raises:
        ValueError: if `values` is not 1-D or holds NaN or infinity, or an option is
            out of range.
    """
    data = as_float_vector(values, "values")
    _check_options(confidence, n_resamples)
    if data.size == 0:
        return math.nan, math.nan
    if data.size == 1:
        point = float(statistic(data))
        return point, point
    rng = np.random.default_rng(seed)
    replicates = np.concatenate(
        [
            _statistic_per_row(statistic, data[rng.integers(0, data.size, size=(rows, data.size))])
            for rows in _blocks(n_resamples, data.size)
        ]
    )
    return _percentile_interval(replicates, confidence)


def grouped_bootstrap_ci(
    values: Floats,
    group_ids: GroupIds,
    statistic: Statistic = np.mean,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    r"""Percentile bootstrap interval that resamples whole groups (cluster bootstrap).

    Items in a group are not independent (ETHICS groups small variations of one
    scenario), so resampling items understates the variance. Here each resample
    draws :math:`G` groups with replacement out of the :math:`G` groups, and
    :math:`\hat\theta^*_b` is `statistic` of the concatenation of the drawn groups'
    values [DH, sec. 3.8; FW]; the interval is the percentile interval of
    :func:`bootstrap_ci`. With one item per group this is exactly
    :func:`bootstrap_ci` (same seed, same interval).

    Groups are numbered in order of first appearance in `group_ids`; equal-sized
    groups are resampled in one vectorised step, unequal ones one resample at a time.

    Args:
        values: one number per item.
        group_ids: one hashable id per item; items with the same id form a group.
        statistic: :math:`T`, a function of a 1-D array returning a number.
        confidence: coverage of the interval, in (0, 1).
        n_resamples: number of bootstrap resamples :math:`B \ge 1`.
        seed: seed of ``np.random.default_rng``.

    Returns:
        ``(low, high)``; ``(nan, nan)`` for no items, ``(T(x), T(x))`` for one group.

    Raises:
        ValueError: if lengths differ, `values` holds NaN or infinity, or an option
            is out of range.
    """
    data = as_float_vector(values, "values")
    check_same_length(data, group_ids, "values", "group_ids")
    _check_options(confidence, n_resamples)
    codes, n_groups = group_codes(group_ids, "group_ids")
    if n_groups == 0:
        return math.nan, math.nan
    if n_groups == 1:
        point = float(statistic(data))
        return point, point
    # Lay the items out group after group so that a group is a slice.
    by_group = data[np.argsort(codes, kind="stable")]
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.cumsum(sizes) - sizes
    rng = np.random.default_rng(seed)
    replicates = []
    for rows in _blocks(n_resamples, data.size):
        picks = rng.integers(0, n_groups, size=(rows, n_groups))
        if (sizes == sizes[0]).all():
            samples = by_group.reshape(n_groups, sizes[0])[picks].reshape(rows, data.size)
            replicates.append(_statistic_per_row(statistic, samples))
        else:
            replicates.append(
                np.array([float(statistic(by_group[_slices(starts, sizes, row)])) for row in picks])
            )
    return _percentile_interval(np.concatenate(replicates), confidence)


def paired_bootstrap_diff_ci(
    a: Floats,
    b: Floats,
    *,
    group_ids: GroupIds | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    r"""Mean paired difference :math:`\bar d = \frac1n \sum_i (b_i - a_i)` and its bootstrap CI.

    For comparing an intervention (`b`) with a baseline (`a`) scored on the same
    items: both are resampled with the same item indices [Koehn], which is
    the bootstrap of :math:`d_i = b_i - a_i`, so the variation shared by an item
    under both conditions cancels. Pass `group_ids` to resample whole groups
    instead (see :func:`grouped_bootstrap_ci`).

    Args:
        a: baseline score of each item.
        b: intervention score of the same items, in the same order.
        group_ids: optional group id per item for a cluster bootstrap.
        confidence: coverage of the interval, in (0, 1).
        n_resamples: number of bootstrap resamples :math:`B \ge 1`.
        seed: seed of ``np.random.default_rng``.

    Returns:
        ``(mean_difference, low, high)``, all NaN when there are no items.

    Raises:
        ValueError: if lengths differ, a score is NaN or infinite, or an option is
            out of range.
    """
    baseline = as_float_vector(a, "a")
    intervention = as_float_vector(b, "b")
    check_same_length(baseline, intervention, "a", "b")
    differences = intervention - baseline
    options: dict[str, Any] = {"confidence": confidence, "n_resamples": n_resamples, "seed": seed}
    if group_ids is None:
        low, high = bootstrap_ci(differences, np.mean, **options)
    else:
        low, high = grouped_bootstrap_ci(differences, group_ids, np.mean, **options)
    if differences.size == 0:
        return math.nan, low, high
    return float(differences.mean()), low, high


def bootstrap_ci_auc(
    scores: Floats,
    labels: Labels,
    *,
    stratified: bool = True,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    r"""Percentile bootstrap interval of the ROC AUC (:func:`~alignlab.metrics.roc_auc`).

    Stratified (default, as in pROC [pROC; DH, sec. 3.2]): positives and negatives
    are resampled separately, keeping both class sizes fixed as the benchmark does.
    Plain: items are resampled regardless of class, and resamples that miss a class
    (AUC undefined) are skipped, so the interval is conditional on both classes
    being drawn.

    A resample is summarised by how often each item was drawn, :math:`w_p` for
    positives and :math:`v_q` for negatives, so no scores are copied:

    .. math:: \mathrm{AUC}^* = \frac{\sum_p w_p \sum_q v_q \left(\mathbb{1}[s_p > s_q]
              + \tfrac12 \mathbb{1}[s_p = s_q]\right)}{\sum_p w_p \sum_q v_q}

    the inner sum read off cumulative counts of the sorted negatives.

    Args:
        scores: one real score per item; higher means "more likely positive".
        labels: 1 (or True) for positive, 0 (or False) for negative.
        stratified: resample within each class (True) or over all items (False).
        confidence: coverage of the interval, in (0, 1).
        n_resamples: number of bootstrap resamples :math:`B \ge 1`.
        seed: seed of ``np.random.default_rng``.

    Returns:
        ``(low, high)``; ``(nan, nan)`` when the data lack a class (or are empty), or
        when every plain resample missed one.

    Raises:
        ValueError: if lengths differ, a score is NaN or infinite, a label is not
            0/1, or an option is out of range.
    """
    values = as_float_vector(scores, "scores")
    positive = as_binary_labels(labels, "labels")
    check_same_length(values, positive, "scores", "labels")
    _check_options(confidence, n_resamples)
    positives = values[positive]
    negatives = np.sort(values[~positive])
    n_pos, n_neg = positives.size, negatives.size
    if n_pos == 0 or n_neg == 0:
        return math.nan, math.nan
    # Negatives strictly below / at most each positive's score, as column indices
    # into the cumulative counts (column k = weight of the k lowest negatives).
    below = np.searchsorted(negatives, positives, side="left")
    at_most = np.searchsorted(negatives, positives, side="right")
    rng = np.random.default_rng(seed)
    replicates = []
    for rows in _blocks(n_resamples, n_pos + n_neg):
        if stratified:
            pos_counts = _row_counts(rng.integers(0, n_pos, size=(rows, n_pos)))
            neg_counts = _row_counts(rng.integers(0, n_neg, size=(rows, n_neg)))
        else:
            # Items are numbered negatives first, then positives.
            counts = _row_counts(rng.integers(0, n_neg + n_pos, size=(rows, n_neg + n_pos)))
            neg_counts, pos_counts = counts[:, :n_neg], counts[:, n_neg:]
        cumulative = np.zeros((rows, n_neg + 1))
        np.cumsum(neg_counts, axis=1, out=cumulative[:, 1:])
        wins = (pos_counts * (cumulative[:, below] + cumulative[:, at_most])).sum(axis=1) / 2
        pairs = pos_counts.sum(axis=1) * cumulative[:, -1]
        replicates.append(wins[pairs > 0] / pairs[pairs > 0])
    aucs = np.concatenate(replicates)
    if aucs.size == 0:
        return math.nan, math.nan
    return _percentile_interval(aucs, confidence)


def _check_options(confidence: float, n_resamples: int) -> None:
    """Raise ValueError unless 0 < confidence < 1 and n_resamples is an int >= 1."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    check_positive_int(n_resamples, "n_resamples")


def _blocks(n_resamples: int, row_length: int) -> Iterator[int]:
    """Yield numbers of resamples that add up to `n_resamples`, about _BLOCK_VALUES each."""
    block = max(1, _BLOCK_VALUES // max(row_length, 1))
    for done in range(0, n_resamples, block):
        yield min(block, n_resamples - done)


def _statistic_per_row(statistic: Statistic, samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """Apply `statistic` to each row of `samples`, in one call when it takes `axis`."""
    try:
        result = np.asarray(statistic(samples, axis=-1), dtype=np.float64)
    except TypeError:
        result = None
    if result is not None and result.shape == (samples.shape[0],):
        return result
    return np.array([float(statistic(row)) for row in samples])


def _slices(
    starts: NDArray[np.intp], sizes: NDArray[np.intp], picks: NDArray[np.intp]
) -> NDArray[np.intp]:
    """Indices of the items of groups `picks`, concatenated, for groups laid out as slices."""
    picked_sizes = sizes[picks]
    offsets = starts[picks] - (np.cumsum(picked_sizes) - picked_sizes)
    return np.arange(picked_sizes.sum()) + np.repeat(offsets, picked_sizes)


def _row_counts(indices: NDArray[np.int64]) -> NDArray[np.int64]:
    """Count how often each item 0..m-1 is drawn in each row of an (rows, m) index array."""
    rows, n_items = indices.shape
    flat = (indices + n_items * np.arange(rows)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n_items).reshape(rows, n_items)


def _percentile_interval(replicates: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    """The (alpha/2, 1 - alpha/2) quantiles of the bootstrap replicates, linear interpolation."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    return float(low), float(high)
