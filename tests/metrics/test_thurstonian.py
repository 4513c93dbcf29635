"""Tests for alignlab.metrics.thurstonian: hand-worked cases, gradient, recovery, coherence."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import ndtr
from scipy.stats import kendalltau, norm, spearmanr

from alignlab.metrics import (
    ThurstonianFit,
    active_learning_budget,
    cycle_rate,
    exchange_rate,
    exchange_rate_fit,
    intransitive_triad_rate,
    select_next_pairs,
    thurstonian_fit,
)
from alignlab.metrics.thurstonian import _merge_edges, _negative_log_posterior


def _fit(means: list[float], variances: list[float]) -> ThurstonianFit:
    return ThurstonianFit(
        means=np.asarray(means, dtype=float),
        variances=np.asarray(variances, dtype=float),
        log_likelihood=0.0,
        train_accuracy=1.0,
        holdout_accuracy=None,
        holdout_log_loss=None,
        n_comparisons=0,
    )


def _sample(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """m (winner, loser) comparisons of random pairs, drawn from known Thurstonian utilities."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    var = rng.uniform(0.25, 1.0, n)
    i = rng.integers(0, n, m)
    j = (i + rng.integers(1, n, m)) % n
    first_wins = rng.random(m) < ndtr((mu[i] - mu[j]) / np.sqrt(var[i] + var[j]))
    comparisons = [
        (int(a), int(b)) if win else (int(b), int(a))
        for a, b, win in zip(i, j, first_wins, strict=True)
    ]
    return mu, var, comparisons


# --- the model by hand --------------------------------------------------------------------


def test_prob_by_hand() -> None:
    # P(0 > 1) = Phi((1 - 0) / sqrt(0.5 + 0.25)) = Phi(1.1547) = 0.8759.
    fit = _fit([1.0, 0.0, -1.0], [0.5, 0.25, 0.25])
    assert fit.prob(0, 1) == pytest.approx(norm.cdf(1 / math.sqrt(0.75)))
    assert fit.prob(0, 1) == pytest.approx(0.8759, abs=1e-4)
    # P(0 > 2) = Phi(2 / sqrt(0.75)) = Phi(2.3094) = 0.98954; the reverse is its complement.
    assert fit.prob(0, 2) == pytest.approx(0.98954, abs=1e-5)
    assert fit.prob(2, 0) == pytest.approx(1 - fit.prob(0, 2))
    assert fit.prob(1, 1) == 0.5
    with pytest.raises(ValueError, match="out of range"):
        fit.prob(0, 3)


def test_three_option_fit_reproduces_soft_labels_and_likelihood() -> None:
    # Three soft labels, four free parameters after normalisation: the model can match
    # them all, so the fitted probabilities should equal the labels (up to the weak prior,
    # worth < 0.01 here with only three comparisons).
    labels = {(0, 1): 0.8, (1, 2): 0.7, (0, 2): 0.9}
    fit = thurstonian_fit(3, [(i, j, p) for (i, j), p in labels.items()])
    for (i, j), p in labels.items():
        assert fit.prob(i, j) == pytest.approx(p, abs=0.01)
    by_hand = sum(
        p * math.log(fit.prob(i, j)) + (1 - p) * math.log(1 - fit.prob(i, j))
        for (i, j), p in labels.items()
    )
    assert fit.log_likelihood == pytest.approx(by_hand, rel=1e-9)
    # Cross-entropy is at least the labels' own entropy; equal when p_hat = y.
    entropy = sum(p * math.log(p) + (1 - p) * math.log(1 - p) for p in labels.values())
    assert entropy - 1e-3 < fit.log_likelihood <= entropy
    assert fit.train_accuracy == 1.0 and fit.n_comparisons == 3
    assert fit.holdout_accuracy is None and fit.holdout_log_loss is None


def test_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    n, m = 6, 25
    i = rng.integers(0, n, m)
    j = (i + rng.integers(1, n, m)) % n
    label = rng.uniform(0, 1, m)
    label[:3] = [0.0, 1.0, 0.5]  # hard and tied labels too
    weight = rng.integers(1, 4, m).astype(float)
    for scale in (0.3, 3.0):  # moderate and large |z| (log-space branch)
        params = rng.normal(scale=scale, size=2 * n)

        def value(x: np.ndarray) -> float:
            return _negative_log_posterior(x, i, j, label, weight, n)[0]

        def grad(x: np.ndarray) -> np.ndarray:
            return _negative_log_posterior(x, i, j, label, weight, n)[1]

        error = check_grad(value, grad, params, epsilon=1e-6)
        assert error < 1e-4 * max(1.0, float(np.linalg.norm(grad(params))))


def test_duplicate_and_reversed_comparisons_are_merged() -> None:
    # (0,1,.8), (1,0,.4) and (0,1,1) are one edge 0-1 with count 3 and mean label
    # (0.8 + 0.6 + 1.0) / 3 = 0.8.
    lo, hi, label_sum, count = _merge_edges(
        np.array([0, 1, 0, 2]), np.array([1, 0, 1, 1]), np.array([0.8, 0.4, 1.0, 0.3]), 3
    )
    assert lo.tolist() == [0, 1] and hi.tolist() == [1, 2]
    assert count.tolist() == [3, 1]
    assert (label_sum / count).tolist() == pytest.approx([0.8, 0.7])


# --- recovery and reported metrics --------------------------------------------------------


def test_recovers_known_utilities() -> None:
    # 30 options, 3000 hard comparisons (~200 per option) drawn from known utilities
    # (mu ~ N(0,1), sigma^2 ~ U(0.25, 1)). Over seeds 0-39 the rank correlation of the
    # fitted means with the truth was Spearman 0.972-0.995 (mean 0.986, sd 0.006) and
    # Kendall 0.871-0.959 (mean 0.921, sd 0.021); seed 0 gives 0.990 / 0.940. The thresholds
    # sit below the worst of 40 seeds (Kendall 0.85 is the mean minus 3.4 sd), so they
    # fail only if the fit is actually broken. (Variances are recovered far less well
    # from hard labels, Spearman ~0.4; not asserted.)
    mu, _, comparisons = _sample(30, 3000, seed=0)
    fit = thurstonian_fit(30, comparisons)
    rho = spearmanr(fit.means, mu).statistic
    tau = kendalltau(fit.means, mu).statistic
    print(f"Thurstonian recovery: Spearman {rho:.3f}, Kendall {tau:.3f}")
    assert rho > 0.95
    assert tau > 0.85
    # Normalised as in the paper: mean 0, sd 1.
    assert fit.means.mean() == pytest.approx(0.0, abs=1e-12)
    assert fit.means.std() == pytest.approx(1.0)
    assert (fit.variances > 0).all()


def test_holdout_accuracy_is_computed_on_the_held_out_edges() -> None:
    _, _, comparisons = _sample(12, 400, seed=2)
    fit = thurstonian_fit(12, comparisons, holdout=0.25, seed=3)
    # Rebuild the documented split: edges sorted by (lo, hi); held out = first
    # round(0.25 E) of default_rng(seed).permutation(E).
    pairs = sorted({(min(a, b), max(a, b)) for a, b in comparisons})
    n_test = round(0.25 * len(pairs))
    test_ids = set(np.random.default_rng(3).permutation(len(pairs))[:n_test].tolist())
    wins: dict[tuple[int, int], list[float]] = {}
    for a, b in comparisons:
        key = (min(a, b), max(a, b))
        wins.setdefault(key, []).append(1.0 if a == key[0] else 0.0)
    hits, losses, train_hits = [], [], []
    for index, (a, b) in enumerate(pairs):
        y = float(np.mean(wins[(a, b)]))
        p = fit.prob(a, b)
        hit = (p >= 0.5) == (y >= 0.5)
        if index in test_ids:
            hits.append(hit)
            q = min(max(p, 1e-5), 1 - 1e-5)
            losses.append(-(y * math.log(q) + (1 - y) * math.log(1 - q)))
        else:
            train_hits.append(hit)
    assert fit.holdout_accuracy == pytest.approx(np.mean(hits))
    assert fit.holdout_log_loss == pytest.approx(np.mean(losses))
    assert fit.train_accuracy == pytest.approx(np.mean(train_hits))
    assert fit.n_comparisons == 400
    # The held-out edges did not shape the fit: refitting on the training comparisons
    # alone gives the same utilities.
    train_only = [
        (a, b) for a, b in comparisons if pairs.index((min(a, b), max(a, b))) not in test_ids
    ]
    refit = thurstonian_fit(12, train_only)
    np.testing.assert_allclose(refit.means, fit.means, atol=1e-4)


def test_winner_loser_pairs_equal_soft_labels_of_one() -> None:
    pairs = [(0, 1), (1, 2), (2, 0), (0, 2), (3, 1)]
    hard = thurstonian_fit(4, pairs)
    soft = thurstonian_fit(4, [(a, b, 1.0) for a, b in pairs])
    mixed = thurstonian_fit(4, [(0, 1), (1, 2, 1.0), (2, 0), (0, 2, 1.0), (3, 1)])
    np.testing.assert_allclose(hard.means, soft.means)
    np.testing.assert_allclose(hard.means, mixed.means)
    assert hard.log_likelihood == pytest.approx(soft.log_likelihood)


def test_all_ties_give_equal_means() -> None:
    fit = thurstonian_fit(3, [(0, 1, 0.5), (1, 2, 0.5), (0, 2, 0.5)])
    np.testing.assert_allclose(fit.means, 0.0, atol=1e-6)
    assert fit.prob(0, 2) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(
    ("comparisons", "options", "match"),
    [
        ([(0, 3)], {}, "indices"),
        ([(0, -1)], {}, "indices"),
        ([(0.5, 1)], {}, "indices"),
        ([(1, 1)], {}, "itself"),
        ([(0, 1, 1.5)], {}, r"\[0, 1\]"),
        ([(0, 1, float("nan"))], {}, "NaN"),
        ([], {}, "no comparisons"),
        ([(0, 1, 0.5, 9)], {}, "shape"),
        ([(0, 1)], {"holdout": 1.0}, "holdout"),
        ([(0, 1)], {"holdout": 0.5}, "no pair to train"),
    ],
)
def test_thurstonian_fit_rejects_bad_input(
    comparisons: Any, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        thurstonian_fit(3, comparisons, **options)


def test_thurstonian_fit_raises_runtime_error_when_not_converged() -> None:
    _, _, comparisons = _sample(10, 200, seed=4)
    with pytest.raises(RuntimeError, match="did not converge"):
        thurstonian_fit(10, comparisons, max_iter=2)


# --- coherence ----------------------------------------------------------------------------


def test_cycle_rate_by_hand() -> None:
    # Certain 3-cycle 0 > 1 > 2 > 0: first term 1 * 1 * 1 = 1, second 0.
    cyclic = np.array([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])
    assert cycle_rate(cyclic, [(0, 1, 2)]) == 1.0
    # Certain transitive order 0 > 1 > 2: p_20 = 0 and p_10 = 0 kill both terms.
    transitive = np.array([[0.5, 1.0, 1.0], [0.0, 0.5, 1.0], [0.0, 0.0, 0.5]])
    assert cycle_rate(transitive, [(0, 1, 2)]) == 0.0
    # Indifference everywhere: 1/8 + 1/8 = 1/4.
    assert cycle_rate(np.full((3, 3), 0.5), [(0, 1, 2)]) == 0.25
    # Soft: p_ab=.9, p_bc=.8, p_ca=.3 -> .9*.8*.3 + .1*.2*.7 = 0.216 + 0.014 = 0.23.
    soft = {(0, 1): 0.9, (1, 2): 0.8, (2, 0): 0.3}

    def prob(x: int, y: int) -> float:
        return soft[(x, y)] if (x, y) in soft else 1 - soft[(y, x)]

    assert cycle_rate(prob, [(0, 1, 2)]) == pytest.approx(0.23)
    # Averaged over triads; a fitted model's prob works as the callable.
    assert cycle_rate(prob, [(0, 1, 2), (0, 1, 2)]) == pytest.approx(0.23)
    fit = _fit([1.0, 0.0, -1.0], [1.0, 1.0, 1.0])
    p01, p12, p02 = fit.prob(0, 1), fit.prob(1, 2), fit.prob(0, 2)
    expected = p01 * p12 * (1 - p02) + (1 - p01) * (1 - p12) * p02
    assert cycle_rate(fit.prob, [(0, 1, 2)]) == pytest.approx(expected)
    assert math.isnan(cycle_rate(prob, []))


def test_cycle_rate_rejects_bad_triads() -> None:
    with pytest.raises(ValueError, match="distinct"):
        cycle_rate(np.full((3, 3), 0.5), [(0, 0, 1)])
    with pytest.raises(ValueError, match="outside"):
        cycle_rate(np.full((3, 3), 0.5), [(0, 1, 5)])
    with pytest.raises(ValueError, match="missing"):
        cycle_rate(np.full((3, 3), np.nan), [(0, 1, 2)])


def test_intransitive_triad_rate_by_hand() -> None:
    nan = np.nan
    cyclic = np.array([[nan, 0.9, 0.2], [0.1, nan, 0.7], [0.8, 0.3, nan]])
    assert intransitive_triad_rate(cyclic) == 1.0
    transitive = np.array([[nan, 0.9, 0.8], [0.1, nan, 0.7], [0.2, 0.3, nan]])
    assert intransitive_triad_rate(transitive) == 0.0
    # Four options 0 > 1 > 2 > 0 (a cycle) and 3 loses to all: triads {0,1,2} cyclic,
    # {0,1,3}, {0,2,3}, {1,2,3} transitive -> 1/4. Only the upper triangle is filled.
    four = np.full((4, 4), nan)
    four[0, 1], four[1, 2], four[0, 2] = 0.8, 0.8, 0.2
    four[0, 3] = four[1, 3] = four[2, 3] = 0.9
    assert intransitive_triad_rate(four) == 0.25
    # A tie (0.5) removes its triads; an unobserved pair too.
    tied = four.copy()
    tied[0, 3] = 0.5
    assert intransitive_triad_rate(tied) == 0.5  # {0,1,2} cyclic, {1,2,3} transitive
    tied[1, 2] = nan
    assert math.isnan(intransitive_triad_rate(tied))  # no complete tie-free triad left
    # Both orders observed: 0.6 and 1 - 0.2 = 0.8 average to 0.7 (> 0.5), and
    # 0.4 and 1 - 0.7 = 0.3 average to 0.35: order bias is averaged out.
    both = np.array([[nan, 0.6, 0.9], [0.2, nan, 0.4], [0.1, 0.7, nan]])
    assert intransitive_triad_rate(both) == 0.0
    with pytest.raises(ValueError, match="square"):
        intransitive_triad_rate(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        intransitive_triad_rate(np.array([[nan, 2.0], [0.0, nan]]))


# --- exchange rates -----------------------------------------------------------------------


def test_exchange_rate_fit_recovers_exact_log_curve() -> None:
    quantities = [1, 2, 5, 10, 100, 1000]
    utilities = [2.0 * math.log(q) + 1.0 for q in quantities]
    a, b = exchange_rate_fit(quantities, utilities)
    assert (a, b) == pytest.approx((2.0, 1.0))
    # Points off any log curve: ln N = (0, ln2, 2 ln2), U = (0, 1, 1). The least-squares
    # slope is sum((x - ln2)(U - 2/3)) / sum((x - ln2)^2) = ln2 / (2 (ln2)^2) = 1/(2 ln2)
    # and the intercept 2/3 - slope * ln2 = 2/3 - 1/2 = 1/6, as numpy.polyfit agrees.
    slope, intercept = np.polyfit(np.log([1, 2, 4]), [0.0, 1.0, 1.0], 1)
    assert (slope, intercept) == pytest.approx((1 / (2 * math.log(2)), 1 / 6))
    assert exchange_rate_fit([1, 2, 4], [0.0, 1.0, 1.0]) == pytest.approx((slope, intercept))
    with pytest.raises(ValueError, match="> 0"):
        exchange_rate_fit([0, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match="distinct"):
        exchange_rate_fit([3, 3], [0.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        exchange_rate_fit([1, 2, 3], [0.0, 1.0])


def test_exchange_rate_by_hand() -> None:
    # U_X(N) = ln N, U_Y(N) = ln N + ln 10: one Y is worth ln 10, as much as 10 X.
    assert exchange_rate(1.0, 0.0, 1.0, math.log(10)) == pytest.approx(10.0)
    # 3 Y: ln 3 + ln 10 = ln 30 -> 30 X.
    assert exchange_rate(1.0, 0.0, 1.0, math.log(10), n_y=3) == pytest.approx(30.0)
    # Steeper X curve: 2 ln N = ln 100 -> N = 10.
    assert exchange_rate(2.0, 0.0, 1.0, 0.0, n_y=100) == pytest.approx(10.0)
    # X against itself: n_y units of X are worth n_y units of X.
    assert exchange_rate(0.7, 0.2, 0.7, 0.2, n_y=42) == pytest.approx(42.0)
    assert exchange_rate(1e-3, 0.0, 1.0, 10.0) == math.inf
    with pytest.raises(ValueError, match="a_x is 0"):
        exchange_rate(0.0, 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="n_y"):
        exchange_rate(1.0, 0.0, 1.0, 0.0, n_y=0)


# --- active learning ----------------------------------------------------------------------


def test_active_learning_budget() -> None:
    # floor(2 * 100 * log2 100) = floor(1328.77) = 1328.
    assert active_learning_budget(100) == 1328
    assert active_learning_budget(2) == 4
    assert active_learning_budget(1) == 0
    with pytest.raises(ValueError):
        active_learning_budget(0)


def test_select_next_pairs_prefers_close_low_degree_pairs() -> None:
    # Options 0 and 1 are nearly tied and never asked; 2 and 3 are nearly tied too but
    # already asked against six options each; all other pairs are far apart. The only
    # pair in both the bottom 10% by margin and the bottom 20% by degree sum is (0, 1).
    fit = _fit([0.0, 0.01, 5.0, 5.01, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0], [1.0] * 10)
    asked = {(a, x) for a in (2, 3) for x in range(4, 10)}
    for seed in range(5):
        assert select_next_pairs(fit, 10, asked, 1, seed=seed) == [(0, 1)]
    # Asking for more grows both quantiles by 1.5 until enough pairs qualify.
    more = select_next_pairs(fit, 10, asked, 6)
    assert len(set(more)) == 6
    assert not set(more) & asked


def test_select_next_pairs_never_repeats_and_handles_limits() -> None:
    n = 8
    asked = {(0, 1), (2, 1), (5, 4)}  # either orientation counts
    chosen = select_next_pairs(None, n, asked, 10, seed=1)
    assert len(chosen) == 10 and len(set(chosen)) == 10
    normalised_asked = {(min(p), max(p)) for p in asked}
    assert all(i < j and (i, j) not in normalised_asked for i, j in chosen)
    assert chosen == select_next_pairs(None, n, asked, 10, seed=1)  # seeded
    fit = _fit(list(np.linspace(-1, 1, n)), [1.0] * n)
    fitted = select_next_pairs(fit, n, asked, 7, seed=2)
    assert len(fitted) == 7 and not {(min(p), max(p)) for p in fitted} & normalised_asked
    # Asking for more than remain returns every remaining pair once.
    everything = select_next_pairs(fit, n, asked, 1000)
    assert len(everything) == n * (n - 1) // 2 - len(asked)
    assert select_next_pairs(fit, n, asked, 0) == []
    with pytest.raises(ValueError, match="asked pair"):
        select_next_pairs(None, n, {(0, 8)}, 1)
    with pytest.raises(ValueError, match="options"):
        select_next_pairs(fit, n + 1, set(), 1)
    with pytest.raises(ValueError, match="margin_quantile"):
        select_next_pairs(fit, n, set(), 1, margin_quantile=0)
