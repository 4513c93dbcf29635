"""F1-macro, balanced accuracy and MCC from confusion matrices, against scikit-learn; BEST."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score, matthews_corrcoef

from alignlab.metrics import best_possible_score, fit_dirichlet_prior
from alignlab.metrics.multiclass import (
    HARD_METRICS,
    balanced_accuracy,
    best_hard_metrics,
    confusion,
    f1_macro,
)
from alignlab.metrics.multiclass import matthews_corrcoef as mcc


@pytest.mark.parametrize("k", [2, 3, 5])
def test_hard_metrics_equal_scikit_learn(k: int) -> None:
    rng = np.random.default_rng(k)
    warnings.simplefilter("ignore")  # sklearn warns on classes absent from y_true
    for _ in range(200):
        n = int(rng.integers(1, 40))
        gold, pred = rng.integers(0, k, n), rng.integers(0, k, n)
        c = confusion(pred, gold, k)
        assert f1_macro(c) == pytest.approx(f1_score(gold, pred, average="macro"))
        assert balanced_accuracy(c) == pytest.approx(balanced_accuracy_score(gold, pred))
        assert mcc(c) == pytest.approx(matthews_corrcoef(gold, pred))


def test_a_stack_of_rounds_is_scored_row_by_row() -> None:
    gold = np.array([0, 1, 2, 2, 1])
    preds = np.array([[0, 1, 2, 2, 1], [2, 2, 2, 2, 2], [0, 0, 1, 2, 1]])
    stacked = confusion(preds, gold, 3)
    for name, metric in HARD_METRICS.items():
        rows = [float(metric(confusion(p, gold, 3))) for p in preds]
        assert metric(stacked) == pytest.approx(rows), name


def test_an_unreadable_answer_counts_against_its_gold_class_only() -> None:
    # Gold (0, 0, 1, 1); answers (0, unreadable, 1, 1).
    c = confusion([0, -1, 1, 1], [0, 0, 1, 1], 2)
    assert c.tolist() == [[1, 0, 1], [0, 2, 0]]
    # Class 0: TP 1, FN 1, FP 0 -> F1 2/3; class 1: TP 2, FP 0 -> F1 1.
    assert f1_macro(c) == pytest.approx((2 / 3 + 1) / 2)
    assert balanced_accuracy(c) == pytest.approx((0.5 + 1) / 2)
    # s = 4, c = 3, t = (2, 2), p = (1, 2): (12 - 6) / sqrt((16 - 5)(16 - 8)).
    assert mcc(c) == pytest.approx(6 / np.sqrt(11 * 8))


def test_confusion_refuses_labels_outside_the_classes() -> None:
    with pytest.raises(ValueError):
        confusion([0, 3], [0, 1], 2)
    with pytest.raises(ValueError):
        confusion([0, 1], [0, 2], 2)


def test_best_of_accuracy_by_monte_carlo_matches_the_reference() -> None:
    """The hard-metric BEST draws the same posterior as best_possible_score's accuracy."""
    rng = np.random.default_rng(3)
    theta = rng.dirichlet([0.6, 0.6, 0.6], 60)
    counts = np.array([rng.multinomial(6, t) for t in theta])
    gold = counts.argmax(axis=1)
    alpha = fit_dirichlet_prior(counts)

    def accuracy(c: np.ndarray) -> np.ndarray:
        return np.trace(c[..., :3], axis1=-2, axis2=-1) / c.sum(axis=(-2, -1))

    best = best_hard_metrics(counts, gold, {"accuracy": accuracy}, alpha=alpha, n_rounds=10_000)
    reference = best_possible_score(counts, "accuracy", labels=gold, alpha=alpha, n_samples=10_000)
    assert best["accuracy"] == pytest.approx(reference, abs=0.01)
    found = best_hard_metrics(counts, gold, alpha=alpha, n_rounds=2000)
    assert set(found) == {"f1_macro", "balanced_accuracy", "mcc"}
    assert all(0.0 < v <= 1.0 for v in found.values())


def test_best_fails_loudly_when_no_prior_fits() -> None:
    with pytest.raises((ValueError, RuntimeError)):
        best_hard_metrics(np.array([[0, 5]]), np.array([1]))
