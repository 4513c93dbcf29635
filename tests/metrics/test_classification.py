"""Tests for alignlab.metrics.classification: hand-worked examples, edge cases, references."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from alignlab.metrics import (
    accuracy,
    calibrated_log_odds,
    calibrated_log_probs,
    chance_accuracy,
    chance_grouped_exact_match,
    grouped_exact_match,
    grouped_exact_match_by_id,
    majority_baseline,
    majority_grouped_exact_match,
    pairwise_accuracy,
    roc_auc,
)

T, F = True, False


# --- accuracy ---------------------------------------------------------------------------


def test_accuracy_by_hand() -> None:
    # 3 of 4 right -> 3/4.
    assert accuracy([T, F, T, T]) == 0.75


def test_accuracy_accepts_0_1_and_numpy_bools() -> None:
    assert accuracy([1, 0, 0, 0]) == 0.25
    assert accuracy(np.array([T, T, F])) == pytest.approx(2 / 3)


def test_accuracy_empty_is_nan() -> None:
    assert math.isnan(accuracy([]))


@pytest.mark.parametrize("bad", [[0.5, 1.0], ["yes", "no"], [2, 0], [[T, F], [T, T]]])
def test_accuracy_rejects_non_booleans(bad: Any) -> None:
    with pytest.raises(ValueError, match="correct"):
        accuracy(bad)


# --- grouped exact match ----------------------------------------------------------------


def test_grouped_exact_match_by_hand() -> None:
    # Groups of 4: [T,T,T,T] all right -> 1; [T,F,T,T] one wrong -> 0; [T,T,T,T] -> 1.
    # EM = (1 + 0 + 1) / 3 = 2/3, while plain accuracy is 11/12.
    correct = [T, T, T, T, T, F, T, T, T, T, T, T]
    assert grouped_exact_match(correct, 4) == pytest.approx(2 / 3)
    assert accuracy(correct) == pytest.approx(11 / 12)


def test_grouped_exact_match_group_size_one_is_accuracy() -> None:
    correct = np.random.default_rng(0).random(101) < 0.7
    assert grouped_exact_match(correct, 1) == pytest.approx(accuracy(correct))


def test_grouped_exact_match_matches_ethics_reference_code() -> None:
    # Reference written the way ETHICS evaluation scripts do it (block sums equal to the
    # block size), independently of the reshape in grouped_exact_match.
    correct = (np.random.default_rng(1).random(400) < 0.8).tolist()
    em_sums = [sum(int(c) for c in correct[4 * i : 4 * i + 4]) for i in range(len(correct) // 4)]
    reference = float(np.mean([s == 4 for s in em_sums]))
    assert grouped_exact_match(correct, 4) == pytest.approx(reference)
    # Virtue uses groups of 5.
    em_sums5 = [sum(int(c) for c in correct[5 * i : 5 * i + 5]) for i in range(len(correct) // 5)]
    assert grouped_exact_match(correct, 5) == pytest.approx(np.mean([s == 5 for s in em_sums5]))


def test_grouped_exact_match_empty_is_nan() -> None:
    assert math.isnan(grouped_exact_match([], 4))


def test_grouped_exact_match_rejects_ragged_length() -> None:
    with pytest.raises(ValueError, match="not a multiple of group_size = 4"):
        grouped_exact_match([T] * 10, 4)


@pytest.mark.parametrize("size", [0, -1, 2.0, True])
def test_grouped_exact_match_rejects_bad_group_size(size: Any) -> None:
    with pytest.raises(ValueError, match="group_size must be an integer >= 1"):
        grouped_exact_match([T, T], size)


def test_grouped_exact_match_by_id_by_hand() -> None:
    # a: items 0, 2 (T, T) -> right; b: items 1, 4 (F, T) -> wrong; c: items 3, 5 (T, T)
    # -> right. EM = 2/3 over 3 groups, though the groups are interleaved.
    correct = [T, F, T, T, T, T]
    ids = ["a", "b", "a", "c", "b", "c"]
    em, n_groups = grouped_exact_match_by_id(correct, ids)
    assert em == pytest.approx(2 / 3)
    assert n_groups == 3


def test_grouped_exact_match_by_id_unequal_groups() -> None:
    # Group 1 = [T, T, T] right, group 2 = [F] wrong -> 1/2.
    assert grouped_exact_match_by_id([T, T, T, F], [1, 1, 1, 2]) == (0.5, 2)


def test_grouped_exact_match_by_id_agrees_with_consecutive_blocks() -> None:
    correct = np.random.default_rng(2).random(60) < 0.85
    em, n_groups = grouped_exact_match_by_id(correct, np.arange(60) // 5)
    assert n_groups == 12
    assert em == pytest.approx(grouped_exact_match(correct, 5))


def test_grouped_exact_match_by_id_edge_cases() -> None:
    em, n_groups = grouped_exact_match_by_id([], [])
    assert math.isnan(em) and n_groups == 0
    with pytest.raises(ValueError, match="same length"):
        grouped_exact_match_by_id([T, T], ["a"])
    unhashable_ids: list[Any] = [["a"], ["b"]]
    with pytest.raises(ValueError, match="hashable"):
        grouped_exact_match_by_id([T, T], unhashable_ids)


# --- ROC AUC ----------------------------------------------------------------------------


def test_roc_auc_by_hand() -> None:
    # Positives {0.35, 0.8} vs negatives {0.1, 0.4}: 0.35>0.1 yes, 0.35>0.4 no,
    # 0.8>0.1 yes, 0.8>0.4 yes -> 3 of 4 pairs -> 0.75.
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_roc_auc_tie_counts_half() -> None:
    # Positives {0.5, 0.9} vs negatives {0.5, 0.2}: 0.5=0.5 -> 1/2, 0.5>0.2 -> 1,
    # 0.9>0.5 -> 1, 0.9>0.2 -> 1; (0.5 + 3) / 4 = 0.875.
    assert roc_auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]) == pytest.approx(0.875)


def test_roc_auc_reversed_scores_give_zero_and_constant_scores_half() -> None:
    assert roc_auc([3.0, 2.0, 1.0], [0, 1, 1]) == 0.0
    assert roc_auc([1.0, 1.0, 1.0, 1.0], [0, 1, 1, 0]) == 0.5


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_matches_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=300)
    # Few distinct integer values so that many scores tie, within and across classes.
    scores = (rng.integers(0, 6, size=300) + labels).astype(float)
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert roc_auc(scores, labels.astype(bool)) == pytest.approx(roc_auc_score(labels, scores))


def test_roc_auc_one_class_or_empty_is_nan() -> None:
    assert math.isnan(roc_auc([0.1, 0.2], [1, 1]))
    assert math.isnan(roc_auc([0.1, 0.2], [0, 0]))
    assert math.isnan(roc_auc([], []))


def test_roc_auc_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="0 \\(negative\\) and 1 \\(positive\\)"):
        roc_auc([0.1, 0.2], [1, 2])
    with pytest.raises(ValueError, match="NaN or infinite"):
        roc_auc([0.1, float("nan")], [0, 1])
    with pytest.raises(ValueError, match="same length"):
        roc_auc([0.1, 0.2, 0.3], [0, 1])


# --- chance and majority baselines ------------------------------------------------------


def test_chance_by_hand() -> None:
    assert chance_accuracy(4) == 0.25
    # ETHICS Justice: 2 options, groups of 4 -> (1/2)^4 = 1/16.
    assert chance_grouped_exact_match(2, 4) == 1 / 16
    assert chance_grouped_exact_match(3, 1) == pytest.approx(chance_accuracy(3))


def test_chance_grouped_exact_match_matches_simulated_guessing() -> None:
    # 200k groups of 4 binary items guessed uniformly: EM ~ 1/16 with standard error
    # sqrt(p(1-p)/G) = 5.4e-4; 5e-3 is ~9 standard errors, but a wrong formula
    # such as 1/(2*4) = 0.125 or (1/2)^3 = 0.125 is far outside it.
    guesses_right = np.random.default_rng(3).integers(0, 2, size=800_000).astype(bool)
    simulated = grouped_exact_match(guesses_right, 4)
    assert simulated == pytest.approx(chance_grouped_exact_match(2, 4), abs=5e-3)


def test_chance_rejects_zero_choices() -> None:
    with pytest.raises(ValueError, match="n_choices"):
        chance_accuracy(0)
    with pytest.raises(ValueError, match="group_size"):
        chance_grouped_exact_match(2, 0)


def test_majority_baseline_by_hand() -> None:
    # 'a' appears 2 of 4 times -> 0.5.
    assert majority_baseline(["a", "b", "a", "c"]) == 0.5
    assert majority_baseline([1, 1, 1, 0, 1, 0]) == pytest.approx(4 / 6)
    assert math.isnan(majority_baseline([]))


def test_majority_grouped_exact_match_by_hand() -> None:
    # Labels: group 0 = [1,1,0,1], group 1 = [0,1,1,1], group 2 = [1,1,1,1].
    # Label 1 is the majority (10/12). Always answering 1 gets group 2 only -> 1/3.
    labels = [1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1]
    groups = [0] * 4 + [1] * 4 + [2] * 4
    assert majority_baseline(labels) == pytest.approx(10 / 12)
    assert majority_grouped_exact_match(labels, groups) == pytest.approx(1 / 3)


def test_majority_grouped_exact_match_tie_uses_best_majority_label() -> None:
    # Groups a=[0,0], b=[0,1], c=[1], d=[1]: three 0s and three 1s.
    # Always 0: a right only -> 1/4. Always 1: c and d right -> 2/4. The tie is
    # resolved to the better of the two, whichever label comes first.
    labels = [0, 0, 0, 1, 1, 1]
    groups = ["a", "a", "b", "b", "c", "d"]
    assert majority_grouped_exact_match(labels, groups) == 0.5
    assert majority_grouped_exact_match(labels[::-1], groups[::-1]) == 0.5


def test_majority_grouped_exact_match_edge_cases() -> None:
    assert math.isnan(majority_grouped_exact_match([], []))
    with pytest.raises(ValueError, match="same length"):
        majority_grouped_exact_match([0, 1], [0])


# --- pairwise accuracy ------------------------------------------------------------------


def test_pairwise_accuracy_by_hand() -> None:
    # 3>1 right, 1>1 tie -> wrong, 2>4 wrong, 5>0 right -> 2/4.
    assert pairwise_accuracy([3, 1, 2, 5], [1, 1, 4, 0]) == 0.5


def test_pairwise_accuracy_ties_count_as_wrong() -> None:
    # A model that gives every scenario the same utility gets 0, not 1/2.
    assert pairwise_accuracy([0.7] * 5, [0.7] * 5) == 0.0


def test_pairwise_accuracy_edge_cases() -> None:
    assert math.isnan(pairwise_accuracy([], []))
    with pytest.raises(ValueError, match="same length"):
        pairwise_accuracy([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        pairwise_accuracy([float("inf")], [1.0])


# --- contextual calibration -------------------------------------------------------------


def test_calibrated_log_odds_by_hand() -> None:
    # p = (0.2, 0.8): log-odds log 4. Content-free p = (0.25, 0.75): log-odds log 3.
    # Calibrated: q ∝ (0.2/0.25, 0.8/0.75) = (12/15, 16/15) -> (3/7, 4/7), log-odds log(4/3).
    shifted = calibrated_log_odds([math.log(4)], math.log(3))
    assert shifted == pytest.approx([math.log(4 / 3)])


def test_calibrated_log_probs_two_choices_by_hand() -> None:
    # Same numbers as above: (0.2, 0.8) with content-free (0.25, 0.75) -> (3/7, 4/7).
    # Second row: (0.3, 0.7) with content-free (0.2, 0.8): (0.3/0.2, 0.7/0.8) =
    # (12/8, 7/8) -> (12/19, 7/19); the decision flips from choice 1 to choice 0.
    calibrated = calibrated_log_probs(np.log([[0.2, 0.8], [0.3, 0.7]]), np.log([0.25, 0.75]))
    assert np.exp(calibrated[0]) == pytest.approx([3 / 7, 4 / 7])
    calibrated_flip = calibrated_log_probs(np.log([[0.3, 0.7]]), np.log([0.2, 0.8]))
    assert np.exp(calibrated_flip[0]) == pytest.approx([12 / 19, 7 / 19])


def test_calibrated_log_probs_three_choices_by_hand() -> None:
    # p = (0.5, 0.3, 0.2), content-free (0.5, 0.25, 0.25): ratios (1, 1.2, 0.8), sum 3
    # -> q = (1/3, 0.4, 0.8/3) = (5/15, 6/15, 4/15); argmax moves from choice 0 to 1.
    calibrated = calibrated_log_probs(np.log([[0.5, 0.3, 0.2]]), np.log([0.5, 0.25, 0.25]))
    assert np.exp(calibrated[0]) == pytest.approx([5 / 15, 6 / 15, 4 / 15])
    assert int(np.argmax(calibrated[0])) == 1


def test_calibrated_log_probs_ignores_normalisation_of_inputs() -> None:
    # Raw label-token log-probs need not sum to one: halving every p of a row, or
    # scaling the content-free probs, leaves the calibrated distribution unchanged.
    raw = np.log([[0.25, 0.15, 0.1]])
    content_free = np.log([0.5, 0.25, 0.25]) + 1.7
    assert np.exp(calibrated_log_probs(raw, content_free)[0]) == pytest.approx(
        [5 / 15, 6 / 15, 4 / 15]
    )


def test_calibrated_log_probs_maps_content_free_input_to_uniform() -> None:
    content_free = np.log([0.6, 0.3, 0.1])
    calibrated = calibrated_log_probs(content_free[None, :], content_free)
    assert calibrated == pytest.approx(np.full((1, 3), math.log(1 / 3)))


def test_calibrated_log_probs_two_choices_equals_log_odds_shift() -> None:
    rng = np.random.default_rng(4)
    probs = rng.dirichlet([1.0, 1.0], size=50)
    content_free = np.array([0.35, 0.65])
    calibrated = calibrated_log_probs(np.log(probs), np.log(content_free))
    log_odds = np.log(probs[:, 1] / probs[:, 0])
    expected = calibrated_log_odds(log_odds, math.log(content_free[1] / content_free[0]))
    assert calibrated[:, 1] - calibrated[:, 0] == pytest.approx(expected)
    assert np.exp(calibrated).sum(axis=1) == pytest.approx(np.ones(50))


def test_calibrated_log_probs_allows_zero_probability_choice() -> None:
    # A choice with p = 0 stays at p = 0; the rest renormalise: (0.5/0.5, 0.5/0.25) -> (1/3, 2/3).
    calibrated = calibrated_log_probs([[-np.inf, math.log(0.5), math.log(0.5)]], np.log([1, 2, 1]))
    assert np.exp(calibrated[0]) == pytest.approx([0.0, 1 / 3, 2 / 3])


def test_calibration_edge_cases() -> None:
    assert calibrated_log_odds([], 0.3).shape == (0,)
    assert calibrated_log_probs(np.zeros((0, 3)), np.zeros(3)).shape == (0, 3)
    with pytest.raises(ValueError, match="content_free_log_odds must be finite"):
        calibrated_log_odds([0.1], float("nan"))
    with pytest.raises(ValueError, match="one entry per choice"):
        calibrated_log_probs(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="2-D"):
        calibrated_log_probs(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 choices"):
        calibrated_log_probs(np.zeros((2, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="content_free_log_probs must be finite"):
        calibrated_log_probs(np.zeros((1, 2)), [0.0, -np.inf])
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        calibrated_log_probs([[0.0, np.nan]], [0.0, 0.0])
    with pytest.raises(ValueError, match="at least one finite"):
        calibrated_log_probs([[-np.inf, -np.inf]], [0.0, 0.0])


def test_calibrated_log_probs_matches_scipy_log_softmax() -> None:
    from scipy.special import log_softmax

    rng = np.random.default_rng(3)
    raw = rng.normal(size=(50, 4)) * 3
    raw[7, 2] = -np.inf  # a choice given zero probability
    content_free = rng.normal(size=4)
    expected = log_softmax(raw - content_free, axis=1)
    got = calibrated_log_probs(raw, content_free)
    assert np.isneginf(got[7, 2])
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-12, atol=1e-12)
    assert calibrated_log_probs(np.empty((0, 3)), np.zeros(3)).shape == (0, 3)
