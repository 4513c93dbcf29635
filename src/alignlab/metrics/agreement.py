"""Agreement between raters (two judges, a judge and humans) and a judge's position bias.

Judge reliability in alignlab is reported three ways:

* :func:`cohen_kappa` -- two raters, every item labelled by both [Cohen 1960;
  weighted: Cohen 1968]. Follows ``sklearn.metrics.cohen_kappa_score``
  (checked against it in the tests): with observed confusion ``O`` over the
  sorted union of labels, expected ``E = outer(row sums, column sums) / n`` and
  disagreement weights ``w`` (0 on the diagonal and 1 elsewhere; ``|i - j|``
  linear; ``(i - j)^2`` quadratic, on label *ranks*),
  :math:`\\kappa = 1 - \\sum w O / \\sum w E`.
* :func:`krippendorff_alpha` -- any number of raters, missing ratings allowed,
  nominal / ordinal / interval / ratio data [Krippendorff 2011, "Computing
  Krippendorff's Alpha-Reliability"]. From the coincidence matrix
  :math:`o_{ck} = \\sum_u \\sum_{i \\ne j} 1[v_{ui}=c, v_{uj}=k] / (m_u - 1)` over
  units with :math:`m_u \\ge 2` ratings, :math:`n_c = \\sum_k o_{ck}`,
  :math:`n = \\sum_c n_c`:
  :math:`\\alpha = 1 - (n - 1) \\sum o_{ck} \\delta^2_{ck} / \\sum n_c n_k \\delta^2_{ck}`
  with :math:`\\delta^2` nominal ``1[c != k]``, interval ``(c - k)^2``, ratio
  ``((c - k)/(c + k))^2`` and ordinal
  :math:`(\\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2`. Checked against the
  ``krippendorff`` package.
* :func:`position_bias` -- a pairwise judge asked twice with the two answers
  swapped [Zheng et al. 2023, "Judging LLM-as-a-Judge", sec. 3.3]: the share
  of pairs where it picks the same answer both times (consistency) and the
  share of its verdicts that pick whichever answer is shown first (0.5 for an
  unbiased judge).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PositionBias",
    "cohen_kappa",
    "cohen_kappa_ci",
    "krippendorff_alpha",
    "position_bias",
]

KappaWeights = Literal["linear", "quadratic"] | None
AlphaLevel = Literal["nominal", "ordinal", "interval", "ratio"]


def _rank_codes(
    a: Sequence[Hashable], b: Sequence[Hashable], labels: Sequence[Hashable] | None
) -> tuple[NDArray[np.intp], NDArray[np.intp], int]:
    if len(a) != len(b):
        raise ValueError(f"the two raters label different numbers of items: {len(a)} vs {len(b)}")
    if len(a) == 0:
        raise ValueError("no items: kappa needs at least one item labelled by both raters")
    domain = list(labels) if labels is not None else sorted(set(a) | set(b))  # type: ignore[type-var]
    index = {label: i for i, label in enumerate(domain)}
    missing = [x for x in (*a, *b) if x not in index]
    if missing:
        raise ValueError(f"labels {sorted(set(map(str, missing)))} are not in `labels`")
    return (
        np.array([index[x] for x in a], dtype=np.intp),
        np.array([index[x] for x in b], dtype=np.intp),
        len(domain),
    )


def _kappa_from_codes(
    ia: NDArray[np.intp], ib: NDArray[np.intp], k: int, weights: KappaWeights
) -> float:
    observed = np.zeros((k, k))
    np.add.at(observed, (ia, ib), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k))).astype(float)
    if weights is None:
        w = (distance > 0).astype(float)
    elif weights == "linear":
        w = distance
    elif weights == "quadratic":
        w = distance**2
    else:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    denominator = float((w * expected).sum())
    if denominator == 0.0:
        # Both raters used one and the same label throughout: chance agreement is
        # total and kappa is undefined (sklearn returns nan with a warning).
        return math.nan
    return 1.0 - float((w * observed).sum()) / denominator


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    *,
    weights: KappaWeights = None,
    labels: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa between two raters' labels of the same items (module docstring).

    Args:
        a: rater 1's label per item (any hashable, sortable values).
        b: rater 2's label per item, same order.
        weights: None (unweighted), "linear" or "quadratic" disagreement weights
            on the positions of the labels in the sorted label set (or `labels`).
        labels: the label set in order; defaults to the sorted union of `a` and `b`.

    Returns:
        kappa in [-1, 1]; nan when both raters gave one identical label to every item.

    Raises:
        ValueError: different lengths, no items, or a label outside `labels`.
    """
    ia, ib, k = _rank_codes(a, b, labels)
    return _kappa_from_codes(ia, ib, k, weights)


def cohen_kappa_ci(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    *,
    weights: KappaWeights = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`cohen_kappa`, resampling items.

    Resamples where kappa is undefined (one label throughout) are dropped; the
    interval is ``(nan, nan)`` when fewer than half of them are defined.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    ia, ib, k = _rank_codes(a, b, None)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, ia.size, size=(n_resamples, ia.size))
    values = np.array([_kappa_from_codes(ia[p], ib[p], k, weights) for p in picks])
    defined = values[~np.isnan(values)]
    if defined.size < n_resamples / 2:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return float(low), float(high)


def _reliability_matrix(data: ArrayLike) -> NDArray[np.float64]:
    try:
        matrix = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"reliability data must be numbers (codes) with nan for missing: {error}"
        ) from error
    if matrix.ndim != 2:
        raise ValueError(f"reliability data must be 2-D (raters x units), got shape {matrix.shape}")
    if np.isinf(matrix).any():
        raise ValueError("reliability data holds infinite values")
    return matrix


def _squared_difference(
    values: NDArray[np.float64], totals: NDArray[np.float64], level: AlphaLevel
) -> NDArray[np.float64]:
    if level == "nominal":
        return (values[:, None] != values[None, :]).astype(float)
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ratio":
        sums = np.add.outer(values, values)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(sums == 0.0, 0.0, np.subtract.outer(values, values) / sums)
        return ratio**2
    if level == "ordinal":
        cumulative = np.concatenate([[0.0], np.cumsum(totals)])
        # sum_{g=c}^{k} n_g for c <= k is cumulative[k + 1] - cumulative[c]
        low = np.minimum.outer(np.arange(values.size), np.arange(values.size))
        high = np.maximum.outer(np.arange(values.size), np.arange(values.size))
        between = cumulative[high + 1] - cumulative[low]
        return (between - (totals[:, None] + totals[None, :]) / 2.0) ** 2
    raise ValueError(f"level must be nominal, ordinal, interval or ratio, got {level!r}")


def krippendorff_alpha(data: ArrayLike, level: AlphaLevel = "nominal") -> float:
    """Krippendorff's alpha of a raters x units matrix of numeric codes (module docstring).

    Args:
        data: ``(raters, units)`` ratings; ``nan`` where a rater did not rate a
            unit. Nominal codes are any numbers (their order is ignored).
        level: the level of measurement: "nominal", "ordinal", "interval" or "ratio".

    Returns:
        alpha, at most 1 (1 = perfect agreement, 0 = chance, below 0 = systematic
        disagreement); nan when fewer than two pairable ratings exist or every
        pairable rating has the same value (no variation to agree on).

    Raises:
        ValueError: data not 2-D numbers, or an unknown level.
    """
    matrix = _reliability_matrix(data)
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"level must be nominal, ordinal, interval or ratio, got {level!r}")
    present = ~np.isnan(matrix)
    pairable = present.sum(axis=0) >= 2
    units = matrix[:, pairable]
    if units.size == 0 or not (~np.isnan(units)).any():
        return math.nan
    values = np.unique(units[~np.isnan(units)])
    k = values.size
    counts = np.zeros((units.shape[1], k))  # n_uc: ratings of value c in unit u
    for column in range(units.shape[1]):
        column_values = units[:, column]
        column_values = column_values[~np.isnan(column_values)]
        codes = np.searchsorted(values, column_values)
        np.add.at(counts[column], codes, 1.0)
    m = counts.sum(axis=1)
    # o_ck = sum_u (n_uc n_uk - 1[c=k] n_uc) / (m_u - 1)
    weighted = counts / (m - 1.0)[:, None]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    delta = _squared_difference(values, totals, level)
    expected = float((np.outer(totals, totals) * delta).sum())
    if expected == 0.0:
        return math.nan
    observed = float((coincidence * delta).sum())
    return 1.0 - (n - 1.0) * observed / expected


@dataclass(frozen=True)
class PositionBias:
    """A pairwise judge's answers to the same pairs shown in both orders.

    Attributes:
        pairs: pairs with a readable verdict in both orders.
        unread: pairs dropped because one of the two verdicts was unreadable.
        consistency: share of ``pairs`` where the judge picked the same answer
            in both orders.
        first_position_rate: share of the ``2 * pairs`` verdicts that picked the
            answer shown first (0.5 for a judge with no position preference).
        inconsistent_first: inconsistent pairs where it picked the first-shown
            answer both times (primacy).
        inconsistent_second: inconsistent pairs where it picked the second-shown
            answer both times (recency).
    """

    pairs: int
    unread: int
    consistency: float
    first_position_rate: float
    inconsistent_first: int
    inconsistent_second: int


def position_bias(original: Sequence[Any], swapped: Sequence[Any]) -> PositionBias:
    """Position bias of a judge from its picks on pairs shown as (x, y) and as (y, x).

    Args:
        original: per pair, the *position* picked when shown (x, y): 0 (first)
            or 1 (second); None or -1 for an unreadable verdict.
        swapped: per pair, the position picked when shown (y, x), same encoding.

    Returns:
        :class:`PositionBias`. With no readable pair the rates are nan.

    Raises:
        ValueError: different lengths or a position other than 0, 1, -1 or None.
    """
    if len(original) != len(swapped):
        raise ValueError(
            f"original and swapped cover different numbers of pairs: "
            f"{len(original)} vs {len(swapped)}"
        )
    readable: list[tuple[int, int]] = []
    unread = 0
    for first, second in zip(original, swapped, strict=True):
        for value in (first, second):
            if value not in (0, 1, -1, None):
                raise ValueError(f"positions must be 0, 1, -1 or None, got {value!r}")
        if first in (None, -1) or second in (None, -1):
            unread += 1
            continue
        readable.append((int(first), int(second)))
    if not readable:
        return PositionBias(0, unread, math.nan, math.nan, 0, 0)
    picks = np.array(readable)
    # The same underlying answer sits at opposite positions in the two orders.
    consistent = picks[:, 0] != picks[:, 1]
    return PositionBias(
        pairs=len(readable),
        unread=unread,
        consistency=float(consistent.mean()),
        first_position_rate=float((picks == 0).mean()),
        inconsistent_first=int(((picks[:, 0] == 0) & (picks[:, 1] == 0)).sum()),
        inconsistent_second=int(((picks[:, 0] == 1) & (picks[:, 1] == 1)).sum()),
    )
