"""Rankings from pairwise comparisons: Bradley-Terry, a robust (CURATRON-style) variant, helpers.

Pairwise data are ``(winner, loser)`` tuples of item indices ``0 .. n_items-1``, as in
choix. :func:`bradley_terry` is the plain maximum-likelihood estimate;
:func:`robust_bradley_terry` is our implementation of the robust-PCA idea of CURATRON
[CUR] for comparisons of which a sparse set may have been flipped by an adversary;
:func:`flip_comparisons` and :func:`drop_comparisons` make such corrupted and incomplete
data for experiments, and :func:`kendall_tau` scores a recovered ranking.

References:
    [BT] Bradley, Terry. "Rank Analysis of Incomplete Block Designs: I. The Method of
        Paired Comparisons." Biometrika 39(3/4), 1952.
    [Hun] Hunter. "MM algorithms for generalized Bradley-Terry models." Annals of
        Statistics 32(1), 2004.
    [Zer] Zermelo. "Die Berechnung der Turnier-Ergebnisse als ein Maximumproblem der
        Wahrscheinlichkeitsrechnung." Math. Zeitschrift 29, 1929 (existence of the MLE).
    [CUR] Nguyen, Naresh, Tulabandhula. "CURATRON: Complete and Robust Preference Data
        for Rigorous Alignment of Large Language Models." arXiv:2403.02745.
    [AltProj] Netrapalli, Niranjan, Sanghavi, Anandkumar, Jain. "Non-convex Robust PCA."
        NeurIPS 2014.
    [choix] Maystre. choix: inference algorithms for Luce-choice models
        (github.com/lucasmaystre/choix); ``mm_pairwise``, ``ilsr_pairwise``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alignlab.metrics._validate import Floats, as_float_vector, check_positive_int

__all__ = [
    "bradley_terry",
    "drop_comparisons",
    "flip_comparisons",
    "kendall_tau",
    "robust_bradley_terry",
]

Pairwise = Sequence[tuple[int, int]] | NDArray[Any]
"""Pairwise comparisons as ``(winner, loser)`` item indices."""

# robust_bradley_terry: the hard threshold starts at the largest residual and shrinks by
# _THRESHOLD_DECAY per iteration, but a pair is never called corrupt unless its residual
# exceeds _NOISE_FLOOR standard errors of its own empirical log-odds (two-sided ~95%
# under binomial noise). Both were chosen on the simulations in bench/VALUES.md: a slow
# decay (0.9, not AltProj's usual 0.5) keeps the first, corruption-biased fit from
# deciding too much; a floor of 2 SE lost 0.01 tau on clean data (1.5 SE lost 0.03)
# and recovered most under attack.
_THRESHOLD_DECAY = 0.9
_NOISE_FLOOR = 2.0
# Haldane-Anscombe smoothing of the empirical log-odds, finite for unanimous pairs.
_LOGIT_SMOOTHING = 0.5


def bradley_terry(
    n_items: int,
    comparisons: Pairwise,
    *,
    alpha: float = 0.0,
    max_iter: int = 10000,
    tol: float = 1e-8,
) -> NDArray[np.float64]:
    r"""Bradley-Terry(-Luce) maximum-likelihood scores by the MM algorithm [BT, Hun].

    Item :math:`i` has strength :math:`\gamma_i = e^{\theta_i}` and beats :math:`j` with
    probability :math:`\gamma_i / (\gamma_i + \gamma_j) = \sigma(\theta_i - \theta_j)`.
    With :math:`W_i` the wins of :math:`i` and :math:`n_{ij}` the comparisons of
    :math:`i` and :math:`j`, Hunter's minorise-maximise update is

    .. math:: \gamma_i \leftarrow \frac{W_i + \alpha}
              {\sum_{j \ne i} n_{ij} / (\gamma_i + \gamma_j) + \alpha},

    after which the strengths are rescaled to mean 1 (as ``choix.mm_pairwise`` does, so
    :math:`\alpha > 0` is the MAP estimate under choix's Dirichlet-style prior that
    pulls every :math:`\gamma_i` towards 1). It stops when the centred log-strengths
    move by at most ``tol * n_items`` in L1 norm, choix's test.

    Args:
        n_items: number of items, >= 2.
        comparisons: ``(winner, loser)`` pairs.
        alpha: regularisation, >= 0; 0 is the plain MLE.
        max_iter: most MM iterations.
        tol: convergence tolerance (per item, L1).

    Returns:
        The log-strengths :math:`\theta`, centred to mean 0.

    Raises:
        ValueError: if an index is out of range or an item is compared with itself; or,
            with ``alpha == 0``, if the MLE does not exist: Zermelo's condition [Zer]
            needs every split of the items into two groups to have a win in each
            direction (the "who beat whom" graph strongly connected); otherwise some
            scores run off to infinity. Pass a small ``alpha`` (say 0.01) then.
        RuntimeError: if MM has not converged after `max_iter` iterations (MM is slow
            when some items are nearly separated; raise `max_iter` or use `alpha`).
    """
    n = _check_n_items(n_items)
    winners, losers = _as_pairs(comparisons, n)
    check_positive_int(max_iter, "max_iter")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    if alpha == 0:
        _check_strongly_connected(winners, losers, n)
    wins = np.bincount(winners, minlength=n).astype(np.float64)
    lo, hi, _, count = _pair_counts(winners, losers, n)
    params = np.zeros(n)
    previous: NDArray[np.float64] | None = None
    for _ in range(max_iter):
        weights = np.exp(params - params.max())
        weights *= n / weights.sum()
        share = count / (weights[lo] + weights[hi])
        denominator = np.bincount(lo, share, n) + np.bincount(hi, share, n)
        params = np.log((wins + alpha) / (denominator + alpha))
        params -= params.mean()
        if previous is not None and np.abs(params - previous).sum() <= tol * n:
            return params
        previous = params
    raise RuntimeError(
        f"Bradley-Terry MM did not converge after {max_iter} iterations; "
        "raise max_iter or pass alpha > 0"
    )


def robust_bradley_terry(
    n_items: int,
    comparisons: Pairwise,
    *,
    max_corruption: float | None = None,
    rank: int = 2,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> NDArray[np.float64]:
    r"""Bradley-Terry scores that resist a sparse set of flipped pairs (CURATRON idea) [CUR].

    Under BTL the log-odds matrix :math:`L_{ij} = \ln(P_{ij} / P_{ji}) = w_i - w_j`,
    i.e. :math:`L = w\mathbf 1^\top - \mathbf 1 w^\top`, is skew-symmetric of rank 2. An
    adversary who reverses the comparisons of a few pairs adds a sparse skew-symmetric
    :math:`S`. CURATRON [CUR] separates the two by robust PCA; this is **our** version
    of that idea (not the paper's code, which we have not seen), in the style of
    AltProj [AltProj]:

    1. Empirical log-odds on every observed pair, with Haldane-Anscombe smoothing:
       :math:`L_{ij} = \ln\frac{W_{ij} + 1/2}{W_{ji} + 1/2}`; unobserved pairs are
       masked out.
    2. Low-rank step. For ``rank=2``, fit :math:`w` by least squares on the observed
       pairs, :math:`\min_w \sum_{(i,j) \in \Omega} (L_{ij} - S_{ij} - w_i + w_j)^2`
       (a graph-Laplacian system, solved exactly; the projection onto
       :math:`\{w\mathbf 1^\top - \mathbf 1 w^\top\}` restricted to the mask). For
       even ``rank > 2`` the model adds a skew-symmetric :math:`K` of rank
       ``rank - 2``: after fitting :math:`w` to :math:`L - S - K`, :math:`K` is
       refitted as the truncated SVD of the remaining residual, with unobserved
       entries filled by the previous :math:`K` (one hard-impute step per iteration).
    3. Sparse step: with residuals :math:`R = L - \hat L` on observed pairs,
       :math:`S = R \odot \mathbb 1[|R| > \max(\zeta_t, 2\,\mathrm{se}_{ij})]`,
       keeping at most ``floor(max_corruption * |Omega|)`` entries (the largest) when
       `max_corruption` is given. The threshold starts at :math:`\zeta_0 = \max|R|`
       and decays as :math:`\zeta_t = 0.9\,\zeta_{t-1}`, so the most blatant outliers
       leave first and the fit is refined before smaller ones are judged; the floor
       :math:`\mathrm{se}_{ij} = \sqrt{1/(W_{ij} + 1/2) + 1/(W_{ji} + 1/2)}`, the
       delta-method standard error of the pair's log-odds, keeps sampling noise out
       of :math:`S`.
    4. Repeat 2-3 until :math:`\zeta_t` is below every pair's floor and the scores move
       by less than `tol` (max abs); return
       :math:`\hat w_i = \frac1n \sum_j \hat L_{ij}` ([CUR]'s scores; for ``rank=2``
       this is :math:`w` centred).

    Each observed pair counts once, however many comparisons it has (the matrix view of
    [CUR]); the scores are on the smoothed log-odds scale, which shrinks lopsided pairs
    (with :math:`m` comparisons a pair's log-odds is at most :math:`\ln(2m + 1)`), so
    compare them with BT scores by rank, not by value.

    Where it helps and where it fails (20 items, Kendall tau against the truth, see
    bench/VALUES.md):

    * **Sparse, concentrated corruption** (whole pairs reversed, at most a third of any
      item's pairs; :func:`flip_comparisons`' adversarial mode) with 10 comparisons per
      pair: +0.11 to +0.17 tau over BT at 10-30% flipped; also large gains when the
      top items are reversed against the bottom ones. With 5 comparisons per pair the
      gain halves and varies by seed.
    * **Dense corruption of an item.** If most of an item's pairs are reversed (e.g.
      all comparisons of the top item), its data look like those of a weak item and no
      sparse-corruption method can tell: little or no gain over
      :func:`bradley_terry`. [CUR]'s guarantee likewise bounds the corrupted share
      per item.
    * **Label noise** (single comparisons flipped uniformly at random) is not sparse
      in the pair matrix: no gain, and about 0.03 tau lost against BT, because
      noisy pairs get discarded.
    * **No corruption:** the few pairs whose noise exceeds 2 SE are discarded; 0.01
      tau or less lost against BT.
    * **Few comparisons per pair.** With one or two the standard error of a pair's
      log-odds exceeds any residual a flip can cause, so little is flagged and the
      result is about plain least squares on the log-odds (no better than BT).
    * Pairs are not weighted by their number of comparisons in the least-squares
      step; pairs seen once count as much as pairs seen a hundred times (their larger
      standard error only makes them harder to flag).

    Args:
        n_items: number of items, >= 2.
        comparisons: ``(winner, loser)`` pairs; the observed pairs must connect all
            items.
        max_corruption: largest share of observed pairs that may be declared corrupt,
            in [0, 1); None for no cap (only the threshold decides).
        rank: rank of the skew-symmetric model, even, 2 <= rank <= n_items.
        max_iter: most alternating iterations.
        tol: convergence tolerance on the scores (max abs change).

    Returns:
        Scores :math:`\hat w`, centred to mean 0; higher is better.

    Raises:
        ValueError: if an index is out of range, an item is compared with itself, the
            observed pairs do not connect all items, or an option is out of range.
        RuntimeError: if the iterations do not settle within `max_iter` (residuals
            oscillating around the threshold; raise `max_iter` or set `max_corruption`).
    """
    from scipy.linalg import cho_factor, cho_solve

    n = _check_n_items(n_items)
    winners, losers = _as_pairs(comparisons, n)
    check_positive_int(max_iter, "max_iter")
    if isinstance(rank, bool) or not isinstance(rank, int | np.integer):
        raise ValueError(f"rank must be an even integer, got {rank!r}")
    if rank < 2 or rank % 2 or rank > n:
        raise ValueError(f"rank must be even with 2 <= rank <= n_items = {n}, got {rank}")
    if max_corruption is not None and not 0 <= max_corruption < 1:
        raise ValueError(f"max_corruption must be in [0, 1) or None, got {max_corruption!r}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    lo, hi, wins_lo, count = _pair_counts(winners, losers, n)
    _check_connected(lo, hi, n)
    logits = np.log((wins_lo + _LOGIT_SMOOTHING) / (count - wins_lo + _LOGIT_SMOOTHING))
    cap = lo.size if max_corruption is None else math.floor(max_corruption * lo.size)

    # (Laplacian + 11^T / n) is positive definite for a connected graph; its solution of
    # (L + J/n) w = b is the least-squares w with mean 0, since 1^T b = 0.
    laplacian = np.zeros((n, n))
    np.add.at(laplacian, (lo, lo), 1.0)
    np.add.at(laplacian, (hi, hi), 1.0)
    np.add.at(laplacian, (lo, hi), -1.0)
    np.add.at(laplacian, (hi, lo), -1.0)
    factor = cho_factor(laplacian + 1.0 / n)
    extra = np.zeros((n, n))  # K, the rank - 2 part

    def fit(target: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Fit w (and K) to `target` on the observed pairs; return (scores, fitted L)."""
        nonlocal extra
        btl_target = target - extra[lo, hi]
        strength = cho_solve(
            factor, np.bincount(lo, btl_target, n) - np.bincount(hi, btl_target, n)
        )
        btl = strength[:, None] - strength[None, :]
        if rank > 2:
            residual = extra.copy()
            residual[lo, hi] = target - btl[lo, hi]
            residual[hi, lo] = -residual[lo, hi]
            u, singular, vt = np.linalg.svd(residual)
            extra = (u[:, : rank - 2] * singular[: rank - 2]) @ vt[: rank - 2]
            extra = (extra - extra.T) / 2
        full = btl + extra
        return full.mean(axis=1), full[lo, hi]

    scores, fitted = fit(logits)
    residual = logits - fitted
    threshold = float(np.abs(residual).max())
    std_error = np.sqrt(1 / (wins_lo + _LOGIT_SMOOTHING) + 1 / (count - wins_lo + _LOGIT_SMOOTHING))
    floor = _NOISE_FLOOR * std_error
    for _ in range(max_iter):
        threshold = _THRESHOLD_DECAY * threshold
        outlier = np.abs(residual) > np.maximum(threshold, floor)
        if outlier.sum() > cap:
            outlier = np.zeros_like(outlier)
            outlier[np.argsort(-np.abs(residual), kind="stable")[:cap]] = True
        sparse = np.where(outlier, residual, 0.0)
        new_scores, fitted = fit(logits - sparse)
        residual = logits - fitted
        settled = threshold <= floor.min() and np.abs(new_scores - scores).max() < tol
        scores = new_scores
        if settled:
            return scores - scores.mean()
    raise RuntimeError(
        f"robust_bradley_terry did not settle after {max_iter} iterations; "
        "raise max_iter or set max_corruption"
    )


def kendall_tau(a: Floats, b: Floats) -> float:
    r"""Kendall's :math:`\tau_b` rank correlation between two score vectors.

    .. math:: \tau_b = \frac{P - Q}{\sqrt{(P + Q + T_a)(P + Q + T_b)}}

    with :math:`P` concordant and :math:`Q` discordant pairs and :math:`T_a, T_b` pairs
    tied only in `a` or only in `b`; a thin wrapper of ``scipy.stats.kendalltau``.

    Returns:
        :math:`\tau_b` in [-1, 1]; NaN if either vector is constant or shorter than 2.

    Raises:
        ValueError: if the lengths differ or a value is NaN or infinite.
    """
    from scipy.stats import kendalltau

    first = as_float_vector(a, "a")
    second = as_float_vector(b, "b")
    if first.size != second.size:
        raise ValueError(f"a and b must have the same length, got {first.size} and {second.size}")
    if first.size < 2:
        return math.nan
    return float(kendalltau(first, second).statistic)


def flip_comparisons(
    comparisons: Pairwise,
    fraction: float,
    *,
    seed: int = 0,
    adversarial: bool = True,
    true_scores: Floats | None = None,
    max_per_item: float = 1 / 3,
) -> list[tuple[int, int]]:
    r"""Reverse ``round(fraction * len(comparisons))`` comparisons, for robustness tests.

    * ``adversarial=False``: the comparisons to reverse are drawn uniformly at random
      (label noise).
    * ``adversarial=True`` (a concentrated attack on the top of the ranking, after
      [CUR]'s threat model of a bounded number of corrupted pairs per item): the
      attacker walks down the ranking by `true_scores` (or, if None, by smoothed win
      rate :math:`(W_i + 1/2) / (n_i + 1)`), and for each target reverses *every*
      comparison of its pairs with opponents taken in random order, until the budget
      is spent (the last pair possibly in part). No item has more than
      ``floor(max_per_item * d_i)`` of its :math:`d_i` pairs reversed, so the top items
      are hit hardest but each keeps a majority of honest pairs by default. With
      ``max_per_item=1`` the attack reverses *all* comparisons of the top items first,
      which no sparse-corruption estimator can undo (see :func:`robust_bradley_terry`).

    Args:
        comparisons: ``(winner, loser)`` pairs.
        fraction: share of comparisons to reverse, in [0, 1].
        seed: seed of ``np.random.default_rng``.
        adversarial: concentrated attack (True) or uniform noise (False).
        true_scores: one score per item (higher is better), indexed by item; needs to
            cover every index in `comparisons`.
        max_per_item: per-item cap of the attack, in (0, 1]; ignored when not
            adversarial.

    Returns:
        The comparisons in the same order, the chosen ones as ``(loser, winner)``.

    Raises:
        ValueError: if `fraction` or `max_per_item` is out of range, `true_scores` is
            too short, or the cap leaves too few pairs to reach `fraction` (raise
            `max_per_item`).
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
    if not 0 < max_per_item <= 1:
        raise ValueError(f"max_per_item must be in (0, 1], got {max_per_item!r}")
    winners, losers = _as_pairs(comparisons, None)
    total = winners.size
    budget = round(fraction * total)
    rng = np.random.default_rng(seed)
    flip = np.zeros(total, dtype=bool)
    if not adversarial:
        flip[rng.choice(total, size=budget, replace=False)] = True
    elif budget > 0:
        n = int(max(winners.max(), losers.max())) + 1
        if true_scores is None:
            wins = np.bincount(winners, minlength=n)
            games = wins + np.bincount(losers, minlength=n)
            scores = (wins + 0.5) / (games + 1.0)
        else:
            scores = as_float_vector(true_scores, "true_scores")
            if scores.size < n:
                raise ValueError(f"true_scores has {scores.size} items, comparisons use {n}")
        flip = _concentrated_flips(winners, losers, scores, budget, max_per_item, rng)
    return [
        (int(loser), int(winner)) if flipped else (int(winner), int(loser))
        for winner, loser, flipped in zip(winners, losers, flip, strict=True)
    ]


def drop_comparisons(
    comparisons: Pairwise, fraction: float, seed: int = 0
) -> list[tuple[int, int]]:
    """Remove ``round(fraction * len(comparisons))`` comparisons drawn uniformly at random.

    Simulates missing data (unasked or unparseable questions). The rest keep their order.

    Raises:
        ValueError: if `fraction` is not in [0, 1].
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
    winners, losers = _as_pairs(comparisons, None)
    drop = np.zeros(winners.size, dtype=bool)
    rng = np.random.default_rng(seed)
    drop[rng.choice(winners.size, size=round(fraction * winners.size), replace=False)] = True
    return [
        (int(winner), int(loser))
        for winner, loser, dropped in zip(winners, losers, drop, strict=True)
        if not dropped
    ]


def _concentrated_flips(
    winners: NDArray[np.intp],
    losers: NDArray[np.intp],
    scores: NDArray[np.float64],
    budget: int,
    max_per_item: float,
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Choose comparisons to reverse for the adversarial mode of flip_comparisons."""
    n = scores.size
    by_pair: dict[tuple[int, int], list[int]] = {}
    for index, (winner, loser) in enumerate(zip(winners.tolist(), losers.tolist(), strict=True)):
        by_pair.setdefault((min(winner, loser), max(winner, loser)), []).append(index)
    opponents: list[list[int]] = [[] for _ in range(n)]
    for a, b in by_pair:
        opponents[a].append(b)
        opponents[b].append(a)
    limit = [math.floor(max_per_item * len(items)) for items in opponents]
    load = [0] * n
    flip = np.zeros(winners.size, dtype=bool)
    spent = 0
    for target in np.argsort(-scores, kind="stable").tolist():
        for opponent in rng.permutation(opponents[target]).tolist():
            if spent == budget:
                return flip
            pair = (min(target, opponent), max(target, opponent))
            if (
                pair not in by_pair
                or load[target] >= limit[target]
                or load[opponent] >= limit[opponent]
            ):
                continue
            chosen = by_pair.pop(pair)[: budget - spent]
            flip[chosen] = True
            spent += len(chosen)
            load[target] += 1
            load[opponent] += 1
    if spent < budget:
        raise ValueError(
            f"with max_per_item = {max_per_item} only {spent} of the {budget} comparisons "
            "asked for can be reversed; raise max_per_item or lower fraction"
        )
    return flip


def _check_n_items(n_items: int) -> int:
    n = check_positive_int(n_items, "n_items")
    if n < 2:
        raise ValueError(f"n_items must be at least 2, got {n}")
    return n


def _as_pairs(comparisons: Pairwise, n: int | None) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Validate (winner, loser) pairs; return them as two index arrays."""
    table = np.asarray(comparisons)
    if table.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if table.ndim != 2 or table.shape[1] != 2:
        raise ValueError(f"comparisons must be (winner, loser) pairs, got shape {table.shape}")
    integral = table.dtype.kind in "iu" or (
        table.dtype.kind == "f" and np.array_equal(table, np.round(table))
    )
    if not integral:
        raise ValueError("comparisons must hold integer item indices")
    table = table.astype(np.intp)
    bad = (table < 0).any(axis=1)
    if n is not None:
        bad |= (table >= n).any(axis=1)
    if bad.any():
        upper = "" if n is None else f", {n})"
        raise ValueError(f"item indices must be in [0{upper}, got {table[bad][0].tolist()}")
    if (table[:, 0] == table[:, 1]).any():
        raise ValueError("a comparison pits an item against itself")
    return table[:, 0], table[:, 1]


def _pair_counts(
    winners: NDArray[np.intp], losers: NDArray[np.intp], n: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """Per unordered pair (lo < hi): wins of lo over hi, and number of comparisons."""
    lo = np.minimum(winners, losers)
    hi = np.maximum(winners, losers)
    keys, inverse, count = np.unique(lo * n + hi, return_inverse=True, return_counts=True)
    wins_lo = np.bincount(inverse, (winners == lo).astype(np.float64), keys.size).astype(float)
    return (
        (keys // n).astype(np.intp),
        (keys % n).astype(np.intp),
        wins_lo,
        count.astype(np.float64),
    )


def _check_strongly_connected(winners: NDArray[np.intp], losers: NDArray[np.intp], n: int) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(winners.size), (losers, winners)), shape=(n, n))
    n_components, _ = connected_components(graph, directed=True, connection="strong")
    if n_components > 1:
        raise ValueError(
            "the Bradley-Terry MLE does not exist: some group of items never beats (or "
            "never loses to) the rest, so their scores diverge; pass alpha > 0 (e.g. 0.01)"
        )


def _check_connected(lo: NDArray[np.intp], hi: NDArray[np.intp], n: int) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(lo.size), (lo, hi)), shape=(n, n))
    n_components, _ = connected_components(graph, directed=False)
    if n_components > 1:
        raise ValueError(
            f"the compared pairs split the {n} items into {n_components} groups that are "
            "never compared with each other; their scores cannot be put on one scale"
        )
