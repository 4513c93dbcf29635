"""Tests for alignlab.metrics.multilabel: hand-worked examples, edge cases, sklearn reference."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from alignlab.metrics.multilabel import exact_match_multilabel, macro_f1, micro_f1

# Three items, three labels. Per label (TP, FP, FN):
#   label 0: pred (1,0,1) vs gold (1,1,0) -> TP 1, FP 1, FN 1 -> F1 = 2/(2+1+1) = 0.5
#   label 1: pred (1,0,0) vs gold (1,0,0) -> TP 1, FP 0, FN 0 -> F1 = 1
#   label 2: pred (0,0,0) vs gold (0,0,0) -> 0/0 -> zero_division
# Pooled: TP 2, FP 1, FN 1 -> micro F1 = 4 / (4 + 1 + 1) = 2/3.
# Items: (1,1,0)=(1,1,0) yes; (0,0,0) vs (1,0,0) no; (1,0,0) vs (0,0,0) no -> EM = 1/3.
PRED = [[1, 1, 0], [0, 0, 0], [1, 0, 0]]
GOLD = [[1, 1, 0], [1, 0, 0], [0, 0, 0]]


def test_exact_match_by_hand() -> None:
    assert exact_match_multilabel(PRED, GOLD) == pytest.approx(1 / 3)
    assert exact_match_multilabel(GOLD, GOLD) == 1.0


def test_micro_f1_by_hand() -> None:
    assert micro_f1(PRED, GOLD) == pytest.approx(2 / 3)


def test_macro_f1_by_hand_for_each_zero_division() -> None:
    assert macro_f1(PRED, GOLD) == pytest.approx((0.5 + 1 + 0) / 3)
    assert macro_f1(PRED, GOLD, zero_division=1.0) == pytest.approx((0.5 + 1 + 1) / 3)
    assert macro_f1(PRED, GOLD, zero_division=math.nan) == pytest.approx((0.5 + 1) / 2)


def test_f1_missed_label_is_zero_whatever_zero_division() -> None:
    # Gold has a positive the model never predicts: TP 0, FN 1 -> F1 = 0, not 0/0.
    for zero_division in (0.0, 1.0, math.nan):
        assert macro_f1([[0]], [[1]], zero_division=zero_division) == 0.0
        assert micro_f1([[0]], [[1]], zero_division=zero_division) == 0.0


def test_f1_with_no_positives_anywhere() -> None:
    nothing = np.zeros((4, 2), dtype=bool)
    assert micro_f1(nothing, nothing) == 0.0
    assert micro_f1(nothing, nothing, zero_division=1.0) == 1.0
    assert math.isnan(macro_f1(nothing, nothing, zero_division=math.nan))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("zero_division", [0.0, 1.0, math.nan])
def test_matches_sklearn(seed: int, zero_division: float) -> None:
    rng = np.random.default_rng(seed)
    gold = rng.random((40, 6)) < 0.3
    pred = rng.random((40, 6)) < 0.3
    gold[:, 4] = pred[:, 4] = False  # a label nobody uses: the zero_division case
    pred[:, 5] = False  # a label only gold uses: F1 = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for average, ours in (("micro", micro_f1), ("macro", macro_f1)):
            expected = f1_score(gold, pred, average=average, zero_division=zero_division)
            assert ours(pred, gold, zero_division=zero_division) == pytest.approx(expected)
    assert exact_match_multilabel(pred, gold) == pytest.approx(accuracy_score(gold, pred))


def test_empty_items_are_nan() -> None:
    empty = np.zeros((0, 3))
    assert math.isnan(exact_match_multilabel(empty, empty))
    assert math.isnan(micro_f1(empty, empty))
    assert math.isnan(macro_f1(empty, empty))


@pytest.mark.parametrize(
    ("pred", "gold", "message"),
    [
        ([[1, 0]], [[1, 0, 0]], "same shape"),
        ([1, 0], [1, 0], "2-D"),
        ([[2, 0]], [[1, 0]], "0/1"),
        ([["a", "b"]], [[1, 0]], "0/1"),
        (np.zeros((2, 0)), np.zeros((2, 0)), "no label columns"),
    ],
)
@pytest.mark.parametrize("metric", [exact_match_multilabel, micro_f1, macro_f1])
def test_rejects_bad_input(pred: Any, gold: Any, message: str, metric: Any) -> None:
    with pytest.raises(ValueError, match=message):
        metric(pred, gold)


@pytest.mark.parametrize("metric", [micro_f1, macro_f1])
def test_rejects_bad_zero_division(metric: Any) -> None:
    with pytest.raises(ValueError, match="zero_division"):
        metric(PRED, GOLD, zero_division=0.5)
