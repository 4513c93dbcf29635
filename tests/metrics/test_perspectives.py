"""Tests for alignlab.metrics.perspectives: PDS entropy, sentiment shares; by hand, vs scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import entropy

from alignlab.metrics import pds_entropy, sentiment_shares


def test_pds_by_hand() -> None:
    # One perspective of four: H = 0.
    assert pds_entropy([3, 0, 0, 0]) == 0.0
    # Uniform over K: H = log K, normalised 1.
    assert pds_entropy([2, 2, 2, 2]) == pytest.approx(1.0)
    # Two of four used equally: H = ln 2, / ln 4 = 1/2.
    assert pds_entropy([1, 1, 0, 0]) == pytest.approx(0.5)
    # (2, 1, 1) over K = 3: p = (1/2, 1/4, 1/4), H = 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2;
    # / ln 3 = 1.0397.../1.0986... = 0.9464.
    assert pds_entropy([2, 1, 1]) == pytest.approx(1.5 * math.log(2) / math.log(3))
    assert pds_entropy([2, 1, 1]) == pytest.approx(0.946395, abs=1e-6)


def test_pds_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    for k in (2, 5, 8, 13):
        counts = rng.integers(0, 9, size=k)
        counts[0] += 1
        assert pds_entropy(counts) == pytest.approx(entropy(counts) / math.log(k))
        # Scale-free: weights give the same score as counts.
        assert pds_entropy(counts * 0.25) == pytest.approx(pds_entropy(counts))


def test_pds_edge_cases() -> None:
    assert math.isnan(pds_entropy([0, 0, 0]))
    with pytest.raises(ValueError, match="at least 2"):
        pds_entropy([4])
    with pytest.raises(ValueError, match="non-negative"):
        pds_entropy([1, -1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        pds_entropy([1, math.nan])
    with pytest.raises(ValueError, match="1-D"):
        pds_entropy([[1, 2], [3, 4]])


def test_sentiment_shares_by_hand() -> None:
    shares = sentiment_shares(["positive", "positive", "neutral", "negative"])
    assert shares == {"positive": 0.5, "neutral": 0.25, "negative": 0.25}
    assert sum(sentiment_shares(["neutral"] * 3 + ["positive"]).values()) == pytest.approx(1.0)
    empty = sentiment_shares([])
    assert all(math.isnan(v) for v in empty.values())
    with pytest.raises(ValueError, match="unknown sentiment"):
        sentiment_shares(["positive", "glowing"])
