"""Perspective diversity of answers: the Perspectives Distribution Score and sentiment shares.

WorldView-Bench [WV] reads every cultural or civilisational perspective an
answer draws on, assigns each reference to one of ``K`` perspective
categories, and summarises the counts ``c_k`` by their normalised Shannon
entropy: 0 when every reference is to one perspective (a *uniplex* answer), 1
when the references are spread evenly over all ``K`` (a fully *multiplex*
one). The paper reports it as a percentage (13% for plain models, 94% with a
multi-agent "multiplex" system). The sentiment toward each referenced
perspective (positive, neutral, negative) is summarised as shares.

The formula is our reconstruction from the paper's description (normalised
entropy of the distribution over categories); whether the paper averages
per-answer scores or pools the counts is not stated, so callers compute both
(:func:`pds_entropy` on one answer's counts, or on the counts summed over
answers).

References:
    [WV] Mushtaq, Taj, Naeem, Ghaznavi, Qadir. "WorldView-Bench: A Benchmark for
        Evaluating Global Cultural Perspectives in Large Language Models."
        arXiv:2505.09595.
    [Sh] Shannon. "A Mathematical Theory of Communication." Bell System
        Technical Journal 27, 1948.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["SENTIMENTS", "pds_entropy", "sentiment_shares"]

SENTIMENTS: tuple[str, str, str] = ("positive", "neutral", "negative")


def pds_entropy(counts: ArrayLike) -> float:
    r"""Perspectives Distribution Score: normalised Shannon entropy of perspective counts [WV].

    With :math:`p_k = c_k / \sum_j c_j` over all :math:`K` categories (zeros
    included, since a perspective the answer never mentions still counts in
    :math:`K`),

    .. math:: \mathrm{PDS}_H = \frac{-\sum_k p_k \ln p_k}{\ln K} \in [0, 1],

    with :math:`0 \ln 0 = 0`. It equals
    ``scipy.stats.entropy(counts) / log(K)``.

    Args:
        counts: one non-negative count (or weight) per perspective category,
            length :math:`K \ge 2`.

    Returns:
        The score in [0, 1]; NaN when every count is 0 (the answer drew on no
        perspective, so its spread is undefined: report such answers apart).

    Raises:
        ValueError: if `counts` is not 1-D, has fewer than 2 categories, or
            holds a negative, NaN or infinite value.
    """
    values = np.asarray(counts, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"counts must be 1-D (one per perspective), got shape {values.shape}")
    if values.size < 2:
        raise ValueError(
            f"counts needs at least 2 perspective categories to normalise by log K, "
            f"got {values.size}"
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("counts must be finite and non-negative")
    total = values.sum()
    if total == 0:
        return math.nan
    p = values[values > 0] / total
    entropy = float(-(p * np.log(p)).sum())
    # Rounding can put a uniform spread a hair above 1 or a single spike a hair below 0.
    return float(min(1.0, max(0.0, entropy / math.log(values.size))))


def sentiment_shares(sentiments: Iterable[str]) -> dict[str, float]:
    """Share of perspective references with each sentiment [WV].

    Args:
        sentiments: one label per reference, each ``positive``, ``neutral`` or
            ``negative``.

    Returns:
        ``{"positive": s, "neutral": s, "negative": s}``, summing to 1; every
        share NaN when there is no reference.

    Raises:
        ValueError: a label other than the three.
    """
    labels = list(sentiments)
    unknown = sorted({s for s in labels if s not in SENTIMENTS})
    if unknown:
        raise ValueError(f"unknown sentiment labels {unknown}; use {', '.join(SENTIMENTS)}")
    if not labels:
        return {s: math.nan for s in SENTIMENTS}
    return {s: labels.count(s) / len(labels) for s in SENTIMENTS}
