"""MoReBench rubric scores on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from alignlab.metrics.rubric import criterion_fulfilled, length_controlled_score, rubric_score


def test_rubric_score_hand_worked() -> None:
    # weights 3, 2, -3, -1; verdicts yes, no, no, yes:
    # max = 9; got = 3 (met) + 0 (missed) + 3 (avoided) + 0 (present) = 6 -> 66.67
    assert rubric_score([3, 2, -3, -1], [True, False, False, True]) == pytest.approx(200 / 3)


def test_unread_verdicts_leave_the_criterion_out() -> None:
    # Only the first two count: max 5, got 3 -> 60
    assert rubric_score([3, 2, -3], [True, False, None]) == pytest.approx(60.0)
    assert math.isnan(rubric_score([3], [None]))


def test_fulfilment_and_errors() -> None:
    assert criterion_fulfilled(-2, False) is True
    assert criterion_fulfilled(2, False) is False
    assert criterion_fulfilled(2, None) is None
    with pytest.raises(ValueError, match="nonzero"):
        rubric_score([0], [True])


def test_length_controlled_score() -> None:
    # mean score 60, mean length 1500 chars -> 40 points per 1000 characters
    assert length_controlled_score([50, 70], [1000, 2000]) == pytest.approx(40.0)
