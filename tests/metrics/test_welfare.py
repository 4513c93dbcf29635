"""Tests for alignlab.metrics.welfare: hand-worked examples, edge cases, references."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.stats import gmean

from alignlab.metrics.welfare import (
    aggregate_jury,
    egalitarian_welfare,
    nash_welfare,
    overton_coverage,
    utilitarian_welfare,
)

# Candidates x jurors. By hand:
#   A = (5, 5, 1): mean 11/3 = 3.667, geometric mean 25^(1/3) = 2.924, min 1
#   B = (3, 3, 3): mean 3,             geometric mean 3,                min 3
#   C = (4, 4, 2): mean 10/3 = 3.333, geometric mean 32^(1/3) = 3.175, min 2
JURY = [[5, 5, 1], [3, 3, 3], [4, 4, 2]]


def test_welfare_by_hand() -> None:
    # (1, 4): mean 2.5, sqrt(1 * 4) = 2, min 1.
    assert utilitarian_welfare([1, 4]) == 2.5
    assert nash_welfare([1, 4]) == pytest.approx(2.0)
    assert egalitarian_welfare([1, 4]) == 1.0


def test_welfare_ordering_and_reference() -> None:
    # min <= geometric mean <= arithmetic mean (AM-GM), equality iff all ratings are equal.
    rng = np.random.default_rng(0)
    ratings = rng.uniform(0.5, 5, size=9)
    assert nash_welfare(ratings) == pytest.approx(gmean(ratings))
    assert egalitarian_welfare(ratings) < nash_welfare(ratings) < utilitarian_welfare(ratings)
    assert nash_welfare([3, 3, 3]) == pytest.approx(3.0)


def test_welfare_empty_is_nan() -> None:
    for welfare in (utilitarian_welfare, nash_welfare, egalitarian_welfare):
        assert math.isnan(welfare([]))


@pytest.mark.parametrize("bad", [[1, 0], [2, -1]])
def test_nash_rejects_non_positive(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="shift"):
        nash_welfare(bad)


@pytest.mark.parametrize("welfare", [utilitarian_welfare, nash_welfare, egalitarian_welfare])
@pytest.mark.parametrize("bad", [[1, math.nan], [[1, 2]], ["a"]])
def test_welfare_rejects_bad_input(welfare: Any, bad: Any) -> None:
    with pytest.raises(ValueError, match="ratings"):
        welfare(bad)


@pytest.mark.parametrize(
    ("rule", "best", "scores"),
    [
        ("utilitarian", 0, [11 / 3, 3, 10 / 3]),
        ("nash", 2, [25 ** (1 / 3), 3, 32 ** (1 / 3)]),
        ("egalitarian", 1, [1, 3, 2]),
    ],
)
def test_aggregate_jury_by_hand(rule: Any, best: int, scores: list[float]) -> None:
    chosen, welfare = aggregate_jury(JURY, rule)
    assert chosen == best
    assert welfare == pytest.approx(scores)


def test_aggregate_jury_matches_scalar_functions_and_ties() -> None:
    rng = np.random.default_rng(1)
    ratings = rng.uniform(1, 5, size=(6, 4))
    for rule, welfare in (
        ("utilitarian", utilitarian_welfare),
        ("nash", nash_welfare),
        ("egalitarian", egalitarian_welfare),
    ):
        _, scores = aggregate_jury(ratings, rule)  # type: ignore[arg-type]
        assert scores == pytest.approx([welfare(row) for row in ratings])
    assert aggregate_jury([[2, 2], [2, 2]])[0] == 0


@pytest.mark.parametrize(
    ("ratings", "rule", "message"),
    [
        (JURY, "borda", "rule"),
        ([1, 2, 3], "utilitarian", "2-D"),
        (np.zeros((0, 3)), "utilitarian", "at least one candidate"),
        (np.zeros((2, 0)), "utilitarian", "at least one candidate"),
        ([[1, math.inf]], "utilitarian", "NaN or infinite"),
        ([[1, 0]], "nash", "> 0"),
    ],
)
def test_aggregate_jury_rejects_bad_input(ratings: Any, rule: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate_jury(ratings, rule)


def test_overton_coverage_by_hand() -> None:
    # Best match per perspective: 0.9 (covered), 0.4 (not), 0.7 (covered: >= threshold).
    similarities = [[0.9, 0.1], [0.2, 0.4], [0.5, 0.7]]
    assert overton_coverage(similarities, 0.7) == pytest.approx(2 / 3)
    assert overton_coverage(similarities, 0.95) == 0.0
    assert overton_coverage(similarities, 0.0) == 1.0


def test_overton_coverage_edge_cases() -> None:
    assert math.isnan(overton_coverage(np.zeros((0, 4)), 0.5))
    assert overton_coverage(np.zeros((3, 0)), 0.5) == 0.0
    with pytest.raises(ValueError, match="2-D"):
        overton_coverage([0.9, 0.1], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        overton_coverage([[math.nan]], 0.5)
    with pytest.raises(ValueError, match="threshold"):
        overton_coverage([[0.9]], math.nan)
