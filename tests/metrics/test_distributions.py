"""Tests for alignlab.metrics.distributions: hand-worked examples, edge cases, references."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import betainc, digamma
from scipy.stats import dirichlet_multinomial
from sklearn.metrics import log_loss

from alignlab.metrics.distributions import (
    best_possible_score,
    closest_group,
    dirichlet_multinomial_log_likelihood,
    expected_calibration_error,
    expected_calibration_error_from_probs,
    fit_dirichlet_prior,
    js_distance,
    soft_cross_entropy,
    steering_shift,
)

# JS distance of (0.5, 0.5) vs (1, 0) in bits, by hand: m = (0.75, 0.25),
# H(m) = -(0.75 log2 0.75 + 0.25 log2 0.25) = 0.311278 + 0.5 = 0.811278, H(p) = 1, H(q) = 0,
# JSD = 0.811278 - (1 + 0) / 2 = 0.311278, distance = sqrt(0.311278) = 0.557923.
HALF_VS_ONE = 0.557923


# --- js_distance ------------------------------------------------------------------------------


def test_js_distance_by_hand() -> None:
    # Disjoint supports: m = (0.5, 0.5), KL(p || m) = log2 2 = 1 for both, JSD = 1.
    assert js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_distance([0.5, 0.5], [1, 0]) == pytest.approx(HALF_VS_ONE, abs=1e-6)
    assert js_distance([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_js_distance_normalises_and_is_symmetric() -> None:
    assert js_distance([2, 2], [3, 0]) == pytest.approx(HALF_VS_ONE, abs=1e-6)
    assert js_distance([1, 0], [0.5, 0.5]) == pytest.approx(js_distance([0.5, 0.5], [1, 0]))


def test_js_distance_other_base() -> None:
    # JSD in nats = JSD in bits * ln 2, so the distance scales by sqrt(ln 2).
    assert js_distance([1, 0], [0, 1], base=math.e) == pytest.approx(math.sqrt(math.log(2)))


@pytest.mark.parametrize("seed", range(5))
def test_js_distance_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p, q = rng.random(6), rng.random(6)
    p[rng.integers(6)] = 0.0
    assert js_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    assert js_distance(p, q, base=10) == pytest.approx(jensenshannon(p, q, base=10), abs=1e-12)


@pytest.mark.parametrize(
    ("p", "q", "message"),
    [
        ([], [], "empty"),
        ([1, 0], [1, 0, 0], "same length"),
        ([1, -0.5], [0.5, 0.5], "negative"),
        ([0, 0], [0.5, 0.5], "sums to 0"),
        ([math.nan, 1], [0.5, 0.5], "NaN"),
        ([[1, 0]], [[0, 1]], "1-D"),
    ],
)
def test_js_distance_rejects_bad_input(p: Any, q: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        js_distance(p, q)


@pytest.mark.parametrize("base", [1.0, 0.0, -2.0, math.inf])
def test_js_distance_rejects_bad_base(base: float) -> None:
    with pytest.raises(ValueError, match="base"):
        js_distance([1, 0], [0, 1], base=base)


# --- closest_group and steering_shift ------------------------------------------------------


def test_closest_group_by_hand() -> None:
    # (0.5, 0.5) is HALF_VS_ONE from (1, 0) and from (0, 1), and much nearer (0.6, 0.4).
    groups = {"yes": [1, 0], "split": [0.6, 0.4], "no": [0, 1]}
    name, distance = closest_group([0.5, 0.5], groups)
    assert name == "split"
    assert distance == pytest.approx(js_distance([0.5, 0.5], [0.6, 0.4]))
    assert distance < 0.1


def test_closest_group_tie_goes_to_first() -> None:
    assert closest_group([0.5, 0.5], {"yes": [1, 0], "no": [0, 1]}) == (
        "yes",
        pytest.approx(HALF_VS_ONE, abs=1e-6),
    )


def test_closest_group_rejects_empty_and_mismatched() -> None:
    with pytest.raises(ValueError, match="empty"):
        closest_group([0.5, 0.5], {})
    with pytest.raises(ValueError, match="same length"):
        closest_group([0.5, 0.5], {"a": [1, 0, 0]})


def test_steering_shift_by_hand() -> None:
    # before (1, 0) is 1 from target (0, 1); after (0.5, 0.5) is HALF_VS_ONE from it.
    shift = steering_shift([1, 0], [0.5, 0.5], [0, 1])
    assert shift == pytest.approx(1 - HALF_VS_ONE, abs=1e-6)
    # Moving away from the target is negative; not moving is 0.
    assert steering_shift([0.5, 0.5], [1, 0], [0, 1]) == pytest.approx(-(1 - HALF_VS_ONE), abs=1e-6)
    assert steering_shift([0.3, 0.7], [0.3, 0.7], [0.9, 0.1]) == 0.0


# --- soft_cross_entropy -----------------------------------------------------------------------


def test_soft_cross_entropy_by_hand() -> None:
    # -(0.5 ln 0.5 + 0.5 ln 0.25 + 0 ln 0.25) = 0.5 ln 2 + ln 2 = 1.5 ln 2 = 1.039721.
    assert soft_cross_entropy([0.5, 0.25, 0.25], [0.5, 0.5, 0]) == pytest.approx(1.5 * math.log(2))
    # 2-D: the mean over items; the second row is a perfect one-hot prediction (0 nats).
    pred = [[0.5, 0.25, 0.25], [1, 0, 0]]
    target = [[0.5, 0.5, 0], [1, 0, 0]]
    assert soft_cross_entropy(pred, target) == pytest.approx(0.75 * math.log(2))


def test_soft_cross_entropy_clips_at_eps() -> None:
    # All target mass on an outcome predicted with probability 0: -ln(1e-15) = 34.538776.
    assert soft_cross_entropy([1, 0], [0, 1]) == pytest.approx(15 * math.log(10))
    assert soft_cross_entropy([1, 0], [0, 1], eps=1e-3) == pytest.approx(3 * math.log(10))


def test_soft_cross_entropy_matches_sklearn_log_loss_for_one_hot() -> None:
    rng = np.random.default_rng(0)
    pred = rng.dirichlet([1, 1, 1, 1], size=50)
    labels = rng.integers(0, 4, size=50)
    one_hot = np.eye(4)[labels]
    assert soft_cross_entropy(pred, one_hot) == pytest.approx(
        log_loss(labels, pred, labels=[0, 1, 2, 3]), rel=1e-12
    )


def test_soft_cross_entropy_is_minimised_by_the_target() -> None:
    # Gibbs' inequality: H(y, p) >= H(y, y) = H(y), with equality at p = y.
    target = np.array([0.2, 0.5, 0.3])
    entropy = -np.sum(target * np.log(target))
    assert soft_cross_entropy(target, target) == pytest.approx(entropy)
    assert soft_cross_entropy([0.3, 0.4, 0.3], target) > entropy


def test_soft_cross_entropy_empty_items_is_nan() -> None:
    assert math.isnan(soft_cross_entropy(np.zeros((0, 3)), np.zeros((0, 3))))


@pytest.mark.parametrize(
    ("pred", "target", "message"),
    [
        ([0.5, 0.5], [0.2, 0.3, 0.5], "same shape"),
        ([1.5, -0.5], [0.5, 0.5], "negative"),
        ([0.5, 0.6], [0.5, 0.5], "sum to 1"),
        ([0.5, 0.5], [3, 1], "divide by the row total"),
        ([math.nan, 1], [0.5, 0.5], "NaN"),
        ([], [], "no classes"),
        (np.ones((1, 1, 1)), np.ones((1, 1, 1)), "1-D"),
    ],
)
def test_soft_cross_entropy_rejects_bad_input(pred: Any, target: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        soft_cross_entropy(pred, target)


def test_soft_cross_entropy_rejects_bad_eps() -> None:
    with pytest.raises(ValueError, match="eps"):
        soft_cross_entropy([0.5, 0.5], [0.5, 0.5], eps=0.0)


# --- dirichlet_multinomial_log_likelihood -----------------------------------------------------


def test_dirichlet_multinomial_by_hand() -> None:
    # alpha = (1, 1): uniform over the n + 1 = 4 splits of 3 labels, so P((2, 1)) = 1/4.
    assert dirichlet_multinomial_log_likelihood([1, 1], [2, 1]) == pytest.approx(math.log(1 / 4))
    # alpha = (1, 1, 1), n = 2: uniform over C(4, 2) = 6 compositions, so 1/6.
    assert dirichlet_multinomial_log_likelihood([1, 1, 1], [1, 1, 0]) == pytest.approx(
        math.log(1 / 6)
    )
    # 2-D: independent items, so the log-likelihoods add.
    assert dirichlet_multinomial_log_likelihood([1, 1], [[2, 1], [1, 0]]) == pytest.approx(
        math.log(1 / 4) + math.log(1 / 2)
    )


def test_dirichlet_multinomial_sums_to_one_over_all_outcomes() -> None:
    alpha = [0.7, 2.0, 0.3]
    total = sum(
        math.exp(dirichlet_multinomial_log_likelihood(alpha, [a, b, 4 - a - b]))
        for a in range(5)
        for b in range(5 - a)
    )
    assert total == pytest.approx(1.0)


def test_dirichlet_multinomial_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    alpha = rng.uniform(0.1, 5, size=4)
    counts = rng.integers(0, 8, size=(20, 4))
    reference = sum(dirichlet_multinomial.logpmf(row, alpha, row.sum()) for row in counts)
    assert dirichlet_multinomial_log_likelihood(alpha, counts) == pytest.approx(reference)


def test_dirichlet_multinomial_empty_rows_is_zero() -> None:
    assert dirichlet_multinomial_log_likelihood([1, 1], np.zeros((0, 2))) == 0.0


@pytest.mark.parametrize(
    ("alpha", "counts", "message"),
    [
        ([1, 0], [1, 1], "alpha"),
        ([1, -1], [1, 1], "alpha"),
        ([1, 1], [1.5, 1], "integer"),
        ([1, 1], [-1, 2], "integer"),
        ([1, 1], [1, 1, 1], "classes"),
        ([1, 1], "ab", "non-negative integers"),
    ],
)
def test_dirichlet_multinomial_rejects_bad_input(alpha: Any, counts: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dirichlet_multinomial_log_likelihood(alpha, counts)


# --- fit_dirichlet_prior ----------------------------------------------------------------------


def _sample_counts(
    alpha: list[float], n_items: int, n_annotators: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Items' label distributions drawn from Dir(alpha), then multinomial annotations."""
    rng = np.random.default_rng(seed)
    theta = rng.dirichlet(alpha, size=n_items)
    counts = np.array([rng.multinomial(n_annotators, t) for t in theta])
    return theta, counts


def _minka_fixed_point(counts: np.ndarray, n_iter: int) -> np.ndarray:
    """Minka (2000)'s fixed point for the Polya MLE, written independently of the module."""
    totals = counts.sum(axis=1)
    alpha = np.ones(counts.shape[1])
    for _ in range(n_iter):
        numerator = (digamma(counts + alpha) - digamma(alpha)).sum(axis=0)
        denominator = (digamma(totals + alpha.sum()) - digamma(alpha.sum())).sum()
        alpha = alpha * numerator / denominator
    return alpha


def _standard_errors(alpha: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Asymptotic SEs of the MLE: sqrt(diag(inverse observed information)), numerically."""
    k = alpha.size
    step = 1e-4 * alpha
    hessian = np.empty((k, k))
    for a in range(k):
        for b in range(k):
            total = 0.0
            for sign_a, sign_b, weight in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                shifted = alpha.copy()
                shifted[a] += sign_a * step[a]
                shifted[b] += sign_b * step[b]
                total += weight * dirichlet_multinomial_log_likelihood(shifted, counts)
            hessian[a, b] = total / (4 * step[a] * step[b])
    return np.sqrt(np.diag(np.linalg.inv(-hessian)))


TRUE_ALPHA = [2.0, 1.0, 0.5]


@pytest.fixture(scope="module")
def synthetic() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(theta, counts, fitted alpha) for 1,500 items of 10 annotations from Dir(TRUE_ALPHA)."""
    theta, counts = _sample_counts(TRUE_ALPHA, n_items=1500, n_annotators=10, seed=7)
    return theta, counts, fit_dirichlet_prior(counts)


def test_fit_dirichlet_prior_recovers_true_alpha(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    # The MLE is asymptotically normal around the truth with covariance the inverse observed
    # information, so each component must lie within 4 standard errors (a false failure
    # has probability < 1e-4 per component; the seed is fixed anyway). With 1,500 items
    # the SEs are about 4.5% of alpha, so a fit that is off by 20% (say, a wrong
    # digamma term in the gradient) fails.
    _, counts, fitted = synthetic
    errors = _standard_errors(fitted, counts)
    print(f"true alpha {TRUE_ALPHA}, fitted {fitted.round(4)}, SE {errors.round(4)}")
    assert np.all(np.abs(fitted - TRUE_ALPHA) <= 4 * errors)
    assert np.all(errors < 0.1 * np.asarray(TRUE_ALPHA))


def test_fit_dirichlet_prior_matches_minka_fixed_point(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    # A different algorithm for the same MLE; A is small here, so 2,000 steps converge.
    _, counts, fitted = synthetic
    assert fitted == pytest.approx(_minka_fixed_point(counts, 2000), rel=1e-5)


def test_fit_dirichlet_prior_is_a_maximum(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, counts, fitted = synthetic
    best = dirichlet_multinomial_log_likelihood(fitted, counts)
    for k in range(3):
        for factor in (0.99, 1.01):
            nudged = fitted.copy()
            nudged[k] *= factor
            assert dirichlet_multinomial_log_likelihood(nudged, counts) < best


def test_fit_dirichlet_prior_unchosen_class_and_empty_items() -> None:
    _, counts = _sample_counts([1.0, 3.0], n_items=300, n_annotators=5, seed=2)
    base = fit_dirichlet_prior(counts)
    padded = np.vstack([np.column_stack([counts, np.zeros(300)]), np.zeros((4, 3))])
    fitted = fit_dirichlet_prior(padded)
    assert fitted[:2] == pytest.approx(base, rel=1e-6)
    assert fitted[2] == 1e-10


def test_fit_dirichlet_prior_raises_without_overdispersion() -> None:
    # Every item split 5/5: less spread than binomial noise, so A -> infinity.
    with pytest.raises(RuntimeError, match="max_precision"):
        fit_dirichlet_prior([[5, 5]] * 50)


def test_fit_dirichlet_prior_raises_when_out_of_iterations(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, counts, _ = synthetic
    with pytest.raises(RuntimeError, match="did not converge"):
        fit_dirichlet_prior(counts, max_iter=1)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([[3], [2]], "at least 2 classes"),
        ([[3, 0], [2, 0]], "fewer than two classes"),
        ([[1, 0], [0, 1], [1, 0]], "2 or more annotations"),
        ([[1.5, 2], [2, 1]], "integer"),
        ([1, 2, 3], "2-D"),
    ],
)
def test_fit_dirichlet_prior_rejects_bad_input(counts: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_dirichlet_prior(counts)


# --- best_possible_score ----------------------------------------------------------------------


def test_best_cross_entropy_by_hand() -> None:
    # Prior (1, 1), counts (1, 1): posterior Dir(2, 2), y = (0.5, 0.5).
    # E[-ln theta_k] = psi(4) - psi(2) = (1 + 1/2 + 1/3 - gamma) - (1 - gamma) = 5/6,
    # so BEST = 0.5 * 5/6 + 0.5 * 5/6 = 5/6, above the plug-in posterior mean's ln 2 = 0.693.
    assert best_possible_score([[1, 1]], alpha=[1, 1]) == pytest.approx(5 / 6)


def test_best_accuracy_by_hand() -> None:
    # Prior (1, 1), counts (2, 0): posterior Beta(3, 1) for theta_0, gold label 0;
    # P(theta_0 > 1/2) = 1 - 0.5^3 = 0.875. Monte Carlo SE = sqrt(.875 * .125 / 20000) = 0.0023.
    value = best_possible_score([[2, 0]], "accuracy", alpha=[1, 1], n_samples=20_000)
    assert value == pytest.approx(0.875, abs=0.01)


def test_best_beats_naive_predictions(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, counts, fitted = synthetic
    target = counts / counts.sum(axis=1, keepdims=True)
    best = best_possible_score(counts)
    uniform = soft_cross_entropy(np.full(counts.shape, 1 / 3), target)
    majority = soft_cross_entropy(np.eye(3)[np.argmax(counts, axis=1)], target)
    posterior = fitted + counts
    plug_in = soft_cross_entropy(posterior / posterior.sum(axis=1, keepdims=True), target)
    empirical = np.mean(-np.sum(target * np.log(np.where(target > 0, target, 1)), axis=1))
    print(f"BEST {best:.4f} uniform {uniform:.4f} majority one-hot {majority:.4f}")
    print(f"posterior-mean plug-in {plug_in:.4f} entropy of the annotations {empirical:.4f}")
    assert best < uniform
    assert best < majority
    # Jensen: the expected score of a posterior draw is worse than the posterior mean's;
    # and nothing beats predicting the observed proportions themselves.
    assert plug_in < best
    assert empirical < plug_in


def test_best_cross_entropy_is_the_monte_carlo_limit(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    # Scruples' own procedure: draw every theta_i from its posterior, score, average rounds.
    _, counts, fitted = synthetic
    counts, target = counts[:300], counts[:300] / 10
    rng = np.random.default_rng(11)
    rounds = [
        soft_cross_entropy(np.array([rng.dirichlet(fitted + row) for row in counts]), target)
        for _ in range(40)
    ]
    spread = np.std(rounds) / math.sqrt(len(rounds))
    exact = best_possible_score(counts, alpha=fitted)
    assert abs(np.mean(rounds) - exact) < 4 * spread + 1e-9


def test_best_accuracy_matches_exact_binary_case() -> None:
    # For 2 classes P(argmax theta = g) = P(theta_g > 1/2) = I_{1/2}(a_other, a_g).
    _, counts = _sample_counts([1.5, 0.8], n_items=200, n_annotators=5, seed=4)
    alpha = fit_dirichlet_prior(counts)
    posterior = alpha + counts
    gold = np.argmax(counts, axis=1)
    a_gold = posterior[np.arange(200), gold]
    a_other = posterior[np.arange(200), 1 - gold]
    exact = float(np.mean(betainc(a_other, a_gold, 0.5)))
    estimate = best_possible_score(counts, "accuracy", n_samples=2000, seed=1)
    # SE <= 0.5 / sqrt(200 * 2000) = 0.0008.
    assert estimate == pytest.approx(exact, abs=0.004)
    assert best_possible_score(counts, "accuracy", n_samples=2000, seed=1) == estimate


def test_best_accuracy_beats_majority_class(
    synthetic: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, counts, _ = synthetic
    gold = np.argmax(counts, axis=1)
    best = best_possible_score(counts, "accuracy", n_samples=200)
    majority = float(np.mean(gold == np.bincount(gold).argmax()))
    print(f"BEST accuracy {best:.4f}, majority class {majority:.4f}")
    assert majority < best < 1.0


def test_best_uses_given_labels() -> None:
    counts = [[3, 0], [0, 3]]
    right = best_possible_score(counts, "accuracy", alpha=[1, 1], labels=[0, 1], n_samples=500)
    wrong = best_possible_score(counts, "accuracy", alpha=[1, 1], labels=[1, 0], n_samples=500)
    # Posterior Beta(4, 1): P(theta_gold > 1/2) = 1 - 0.5^4 = 0.9375, its complement 0.0625.
    assert right == pytest.approx(0.9375, abs=0.03)
    assert wrong == pytest.approx(0.0625, abs=0.03)


def test_best_empty_is_nan() -> None:
    assert math.isnan(best_possible_score(np.zeros((0, 3))))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts": [[1, 1], [0, 0]]}, "no annotations"),
        ({"counts": [[1, 1]], "metric": "f1"}, "metric"),
        ({"counts": [[1, 1]], "metric": "accuracy", "labels": [2]}, "labels"),
        ({"counts": [[1, 1]], "metric": "accuracy", "labels": [0, 1]}, "same length"),
        ({"counts": [[1, 1]], "alpha": [1, 1, 1]}, "classes"),
        ({"counts": [[1, 1]], "alpha": [1, 0]}, "alpha"),
    ],
)
def test_best_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        best_possible_score(**kwargs)


# --- expected_calibration_error ---------------------------------------------------------------


def _ece_reference(confidences: np.ndarray, correct: np.ndarray, n_bins: int) -> float:
    """Guo et al.'s definition written out bin by bin: I_m = ((m-1)/M, m/M], 0 in bin 1."""
    total = 0.0
    for m in range(1, n_bins + 1):
        low, high = (m - 1) / n_bins, m / n_bins
        inside = (confidences > low) & (confidences <= high)
        if m == 1:
            inside |= confidences == 0
        if inside.any():
            gap = abs(correct[inside].mean() - confidences[inside].mean())
            total += inside.sum() / confidences.size * gap
    return total


def test_ece_by_hand() -> None:
    # Bin (0.9, 1]: acc 1/2, conf 0.95 -> gap 0.45; bin (0.6, 0.7]: acc 1, conf 0.635 ->
    # gap 0.365. ECE = 2/4 * 0.45 + 2/4 * 0.365 = 0.4075.
    assert expected_calibration_error([0.95, 0.95, 0.65, 0.62], [1, 0, 1, 1]) == pytest.approx(
        0.4075
    )


def test_ece_perfectly_calibrated_is_zero() -> None:
    assert expected_calibration_error([0.8] * 5, [1, 1, 1, 1, 0]) == pytest.approx(0.0)


def test_ece_bins_are_closed_on_the_right() -> None:
    # 0.3 belongs to (0.2, 0.3], 0.31 to (0.3, 0.4]: 1/2 * |1 - 0.3| + 1/2 * |0 - 0.31| = 0.505.
    # Were they one bin: |0.5 - 0.305| = 0.195.
    assert expected_calibration_error([0.3, 0.31], [1, 0]) == pytest.approx(0.505)
    # Same with 0.5 and 0.45, which share (0.4, 0.5]: |1/2 - 0.475| = 0.025. With bins
    # closed on the left, [0.5, 0.6) and [0.4, 0.5), it would be 0.5 * 0.5 + 0.5 * 0.45.
    assert expected_calibration_error([0.5, 0.45], [1, 0]) == pytest.approx(0.025)
    # 0 goes in the first bin, 1 in the last.
    assert expected_calibration_error([0.0, 1.0], [0, 1]) == pytest.approx(0.0)


def test_ece_one_bin_is_overall_gap() -> None:
    assert expected_calibration_error([0.9, 0.6, 0.3], [1, 0, 0], n_bins=1) == pytest.approx(
        abs(1 / 3 - 0.6)
    )


@pytest.mark.parametrize("n_bins", [1, 7, 10, 12, 15])
def test_ece_matches_bin_by_bin_reference(n_bins: int) -> None:
    rng = np.random.default_rng(n_bins)
    # Rounding puts many values on bin edges; the values m / M sit exactly on them.
    confidences = np.concatenate([np.round(rng.random(300), 2), np.arange(n_bins + 1) / n_bins])
    correct = rng.random(confidences.size) < confidences
    assert expected_calibration_error(confidences, correct, n_bins) == pytest.approx(
        _ece_reference(confidences, correct, n_bins)
    )


def test_ece_empty_is_nan() -> None:
    assert math.isnan(expected_calibration_error([], []))


@pytest.mark.parametrize(
    ("confidences", "correct", "n_bins", "message"),
    [
        ([0.5, 1.2], [1, 0], 10, r"\[0, 1\]"),
        ([0.5], [1, 0], 10, "same length"),
        ([0.5], [2], 10, "correct"),
        ([0.5], [1], 0, "n_bins"),
    ],
)
def test_ece_rejects_bad_input(confidences: Any, correct: Any, n_bins: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(confidences, correct, n_bins)


def test_ece_from_probs_by_hand() -> None:
    # Predictions 0, 1, 0 with confidences 0.9, 0.8, 0.6; gold all 0 -> correct 1, 0, 1.
    # Each item alone in its bin: (|1 - 0.9| + |0 - 0.8| + |1 - 0.6|) / 3 = 1.3 / 3.
    probs = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]
    assert expected_calibration_error_from_probs(probs, [0, 0, 0]) == pytest.approx(1.3 / 3)


def test_ece_from_probs_edge_cases() -> None:
    assert math.isnan(expected_calibration_error_from_probs(np.zeros((0, 3)), []))
    with pytest.raises(ValueError, match="labels"):
        expected_calibration_error_from_probs([[0.5, 0.5]], [2])
    with pytest.raises(ValueError, match="sum to 1"):
        expected_calibration_error_from_probs([[0.5, 0.6]], [0])
    with pytest.raises(ValueError, match="2-D"):
        expected_calibration_error_from_probs([0.5, 0.5], [0])
