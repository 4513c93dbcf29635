"""Scores over label distributions: JS distance, soft cross-entropy, calibration, Scruples' BEST.

Human judgements of values are rarely unanimous, so several benchmarks score a model
against the *distribution* of annotators' labels rather than one gold label: Scruples
[Scr] with soft cross-entropy and a Dirichlet-multinomial oracle (BEST), opinion
benchmarks and distributional pluralism [PA] with a Jensen-Shannon distance to a
population's answer distribution.

References:
    [Scr] Lourie, Le Bras, Choi. "Scruples: A Corpus of Community Ethical Judgments on
        32,000 Real-Life Anecdotes." AAAI 2021. arXiv:2008.09094. Code:
        github.com/allenai/scruples (``utils.py``: ``xentropy``,
        ``estimate_dirichlet_multinomial_parameters``, ``oracle_performance``;
        ``scripts/analyze/*/oracle_performance.py``).
    [Lin] Lin. "Divergence Measures Based on the Shannon Entropy." IEEE Trans.
        Information Theory 37(1), 1991 (Jensen-Shannon divergence).
    [ES] Endres, Schindelin. "A New Metric for Probability Distributions." IEEE Trans.
        Information Theory 49(7), 2003 (its square root is a metric).
    [Min] Minka. "Estimating a Dirichlet distribution." Technical report, 2000 (revised
        2012), section on the Polya (Dirichlet-multinomial) distribution.
    [Guo] Guo, Pleiss, Sun, Weinberger. "On Calibration of Modern Neural Networks."
        ICML 2017. arXiv:1706.04599.
    [PA] Sorensen et al. "A Roadmap to Pluralistic Alignment." ICML 2024.
        arXiv:2402.05070.
    [OQA] Santurkar, Durmus, Ladhak, Lee, Liang, Hashimoto. "Whose Opinions Do Language
        Models Reflect?" ICML 2023. arXiv:2303.17548.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alignlab.metrics._validate import (
    as_bool_vector,
    as_float_vector,
    check_positive_int,
    check_same_length,
)

# How far a row of probabilities may sum from 1 before it is rejected (float32 softmax
# outputs are well inside this).
_SUM_TOL = 1e-6
# The lower bound on a Dirichlet parameter in Scruples' fit (L-BFGS-B bounds 1e-10); we
# give it to classes that no annotator ever chose, whose MLE is the boundary 0.
_ALPHA_FLOOR = 1e-10
# Largest gradient of the mean log-likelihood per item (w.r.t. log alpha) at which a fit
# whose line search stalled is still accepted as converged.
_GRADIENT_TOL = 1e-6


# --- Jensen-Shannon -----------------------------------------------------------------------


def js_distance(p: ArrayLike, q: ArrayLike, base: float = 2.0) -> float:
    r"""Jensen-Shannon distance: the square root of the JS divergence [Lin, ES].

    With :math:`m = (p + q) / 2` and :math:`\mathrm{KL}` in log base `base`,

    .. math:: \mathrm{JSD}(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m)
              + \tfrac12 \mathrm{KL}(q \,\|\, m)
              = H(m) - \tfrac12 \bigl(H(p) + H(q)\bigr),
              \qquad d_{\mathrm{JS}}(p, q) = \sqrt{\mathrm{JSD}(p, q)}.

    In base 2, :math:`\mathrm{JSD} \in [0, 1]`, so :math:`d_{\mathrm{JS}} \in [0, 1]`:
    0 for equal distributions, 1 for disjoint supports. :math:`d_{\mathrm{JS}}` is a
    metric [ES] (the divergence itself breaks the triangle inequality), which is why
    it is used to compare a model's answer distribution with a population's
    [OQA, PA]. Equals ``scipy.spatial.distance.jensenshannon(p, q, base=base)``.

    Worked example (base 2): :math:`p = (0.5, 0.5)`, :math:`q = (1, 0)`,
    :math:`m = (0.75, 0.25)`; :math:`H(m) = 0.811278`, :math:`H(p) = 1`,
    :math:`H(q) = 0`, so :math:`\mathrm{JSD} = 0.311278` and :math:`d = 0.557923`.

    Args:
        p: non-negative weights over the same :math:`k` outcomes as `q` (counts or
            probabilities); each vector is divided by its sum first.
        q: the other distribution, same length as `p`.
        base: base of the logarithm, > 0 and != 1; the default 2 bounds the result by 1
            (in base :math:`b` the bound is :math:`\sqrt{\log_b 2}`).

    Returns:
        The JS distance, a float :math:`\ge 0`.

    Raises:
        ValueError: if a vector is empty, not 1-D, holds NaN, infinity or negative
            values, sums to 0, the lengths differ, or `base` is invalid.
    """
    from scipy.special import rel_entr

    if not (math.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"base must be a finite number > 0 and != 1, got {base!r}")
    first = _as_distribution(p, "p")
    second = _as_distribution(q, "q")
    check_same_length(first, second, "p", "q")
    middle = (first + second) / 2
    divergence = 0.5 * (rel_entr(first, middle).sum() + rel_entr(second, middle).sum())
    # Rounding can leave a divergence of -1e-17 for equal inputs; the true value is >= 0.
    return math.sqrt(max(float(divergence) / math.log(base), 0.0))


def closest_group(model_dist: ArrayLike, group_dists: Mapping[str, ArrayLike]) -> tuple[str, float]:
    r"""The group whose answer distribution is nearest the model's, by :func:`js_distance`.

    .. math:: g^* = \arg\min_{g} d_{\mathrm{JS}}(P_M, P_g)

    This is the "whose opinions does the model reflect" reading of [OQA] and of
    distributional pluralism [PA] for one question; average distances over questions
    before picking a group if you have many.

    Args:
        model_dist: the model's distribution (or counts) over the answer options.
        group_dists: group name -> that group's distribution over the same options.

    Returns:
        ``(name, distance)`` of the closest group (base-2 JS distance). On a tie the
        group that comes first in `group_dists` wins.

    Raises:
        ValueError: if `group_dists` is empty or any distribution is invalid (see
            :func:`js_distance`).
    """
    if not group_dists:
        raise ValueError("group_dists is empty; give at least one group's distribution")
    best_name, best_distance = "", math.inf
    for name, group_dist in group_dists.items():
        distance = js_distance(model_dist, group_dist)
        if distance < best_distance:
            best_name, best_distance = name, distance
    return best_name, best_distance


def steering_shift(before: ArrayLike, after: ArrayLike, target: ArrayLike) -> float:
    r"""How far steering moved a model's distribution toward a target group's.

    .. math:: \Delta = d_{\mathrm{JS}}(P_{\text{before}}, P_{\text{target}})
              - d_{\mathrm{JS}}(P_{\text{after}}, P_{\text{target}})

    Positive: the steered model is closer to the target group (by base-2 JS distance,
    so :math:`\Delta \in [-1, 1]`); negative: it moved away. This is a plain
    difference of :func:`js_distance` values, our operationalisation of steerable
    pluralism [PA] for distribution-valued answers.

    Raises:
        ValueError: if any distribution is invalid (see :func:`js_distance`).
    """
    return js_distance(before, target) - js_distance(after, target)


# --- Cross-entropy and the Dirichlet-multinomial ----------------------------------------------


def soft_cross_entropy(pred: ArrayLike, target: ArrayLike, *, eps: float = 1e-15) -> float:
    r"""Cross-entropy of predicted probabilities against a (soft) target distribution.

    .. math:: H(y, \hat p) = -\sum_{k} y_k \ln \max(\hat p_k, \varepsilon)

    in nats. For 2-D input (items :math:`\times` classes) the mean over items,
    :math:`\frac1N \sum_i H(y_i, \hat p_i)`, which is Scruples' ``xentropy`` [Scr]
    with :math:`y_i` the normalised annotation counts of item :math:`i`. With
    one-hot targets it is the log loss (``sklearn.metrics.log_loss``).

    The clip at :math:`\varepsilon` keeps a zero predicted probability on an
    outcome the target supports finite (:math:`-\ln 10^{-15} = 34.5` nats) instead
    of infinite; :math:`0 \cdot \ln \varepsilon = 0` when the target gives the
    outcome no mass. Scruples' own ``xentropy`` does not clip; its predictions are
    never exactly 0.

    Worked example: :math:`\hat p = (0.5, 0.25, 0.25)`, :math:`y = (0.5, 0.5, 0)`:
    :math:`H = -(0.5 \ln 0.5 + 0.5 \ln 0.25) = 1.5 \ln 2 = 1.039721`.

    Args:
        pred: predicted probabilities, shape ``(k,)`` or ``(n_items, k)``; each row
            non-negative and summing to 1.
        target: target distributions of the same shape; each row non-negative and
            summing to 1 (divide annotation counts by their row sum first).
        eps: clip for predicted probabilities, in (0, 1).

    Returns:
        The cross-entropy in nats (:math:`\ge 0`); NaN for a 2-D input with no rows.

    Raises:
        ValueError: on shapes that differ or are not 1-D/2-D, zero classes, NaN,
            infinity or negative values, a row not summing to 1, or a bad `eps`.
    """
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}")
    predicted = _as_probability_rows(pred, "pred")
    wanted = _as_probability_rows(target, "target")
    if predicted.shape != wanted.shape:
        raise ValueError(
            f"pred and target must have the same shape, got {predicted.shape} and {wanted.shape}"
        )
    if predicted.ndim == 2 and predicted.shape[0] == 0:
        return math.nan
    per_item = -np.sum(wanted * np.log(np.maximum(predicted, eps)), axis=-1)
    return float(np.mean(per_item))


def dirichlet_multinomial_log_likelihood(alpha: ArrayLike, counts: ArrayLike) -> float:
    r"""Log-probability of annotation counts under a Dirichlet-multinomial.

    For counts :math:`x` over :math:`k` classes with total :math:`n = \sum_k x_k`,
    :math:`A = \sum_k \alpha_k` [Min],

    .. math:: \ln P(x \mid \alpha) = \ln \frac{n!}{\prod_k x_k!}
              + \ln\Gamma(A) - \ln\Gamma(A + n)
              + \sum_k \bigl(\ln\Gamma(\alpha_k + x_k) - \ln\Gamma(\alpha_k)\bigr).

    This includes the multinomial coefficient, so it equals
    ``scipy.stats.dirichlet_multinomial.logpmf``; Scruples' training loss [Scr] is the
    negative of the same expression without the coefficient (a constant in
    :math:`\alpha`). For 2-D counts (one row per item, items independent) the sum of
    the rows' log-probabilities.

    Worked examples: with :math:`\alpha = (1, 1)` the DM is uniform over the
    :math:`n + 1` splits, so :math:`P((2, 1)) = 1/4`; with :math:`\alpha = (1, 1, 1)`,
    :math:`n = 2` it is uniform over 6 compositions, so :math:`P((1, 1, 0)) = 1/6`.

    Args:
        alpha: the Dirichlet parameters, shape ``(k,)``, finite and > 0.
        counts: non-negative integer counts, shape ``(k,)`` or ``(n_items, k)``.

    Returns:
        The log-likelihood (:math:`\le 0`); 0.0 for a 2-D input with no rows (the
        empty product).

    Raises:
        ValueError: on a bad `alpha`, counts that are not non-negative integers, or
            shapes that do not match.
    """
    from scipy.special import gammaln

    concentration = _as_alpha(alpha)
    observed = np.asarray(counts, dtype=np.float64) if _is_numeric(counts) else None
    if observed is None or observed.ndim not in (1, 2):
        raise ValueError("counts must be a 1-D or 2-D array of non-negative integers")
    if observed.shape[-1] != concentration.size:
        raise ValueError(
            f"counts have {observed.shape[-1]} classes but alpha has {concentration.size}"
        )
    _check_counts(observed, "counts")
    rows = observed.reshape(-1, concentration.size)
    totals = rows.sum(axis=1)
    total_alpha = concentration.sum()
    log_coefficient = gammaln(totals + 1) - gammaln(rows + 1).sum(axis=1)
    log_ratio = (
        gammaln(total_alpha)
        - gammaln(total_alpha + totals)
        + (gammaln(rows + concentration) - gammaln(concentration)).sum(axis=1)
    )
    return float(np.sum(log_coefficient + log_ratio))


def fit_dirichlet_prior(
    counts: ArrayLike,
    *,
    max_iter: int = 1000,
    tol: float = 1e-12,
    max_precision: float = 1e6,
) -> NDArray[np.float64]:
    r"""Maximum-likelihood Dirichlet prior for items' annotation counts (Scruples' BEST, step 1).

    Each item :math:`i` has a latent label distribution :math:`\theta_i \sim
    \mathrm{Dir}(\alpha)` and its annotators' labels are multinomial draws from it,
    so the counts :math:`x_i` follow a Dirichlet-multinomial [Min]. We return

    .. math:: \hat\alpha = \arg\max_{\alpha > 0} \sum_i \Bigl[\ln\Gamma(A) - \ln\Gamma(A + n_i)
              + \sum_k \bigl(\ln\Gamma(\alpha_k + x_{ik}) - \ln\Gamma(\alpha_k)\bigr)\Bigr]

    the objective of Scruples' ``estimate_dirichlet_multinomial_parameters`` [Scr],
    maximised as there with L-BFGS-B from :math:`\alpha = \mathbf 1`, but over
    :math:`\ln\alpha` with the analytic gradient
    :math:`\partial/\partial\alpha_k = \sum_i [\psi(A) - \psi(A + n_i) +
    \psi(\alpha_k + x_{ik}) - \psi(\alpha_k)]`. (Minka's fixed point [Min],
    :math:`\alpha_k \leftarrow \alpha_k \sum_i [\psi(x_{ik} + \alpha_k) - \psi(\alpha_k)]
    / \sum_i [\psi(n_i + A) - \psi(A)]`, reaches the same optimum, but needs thousands
    of steps once :math:`A` is in the tens; the tests use it as an independent check.)

    A class no annotator chose has its MLE at the boundary :math:`\alpha_k = 0`; it
    gets Scruples' lower bound :math:`10^{-10}` and the other classes are fitted
    without it (the likelihood of the rest does not depend on it in the limit).
    L-BFGS-B's line search may stall a hair from the optimum, where the likelihood is
    flat to rounding; that stop is accepted when the gradient of the mean
    log-likelihood per item with respect to :math:`\ln\alpha` is at most 1e-6.

    Args:
        counts: shape ``(n_items, k)``, non-negative integer annotation counts, with
            :math:`k \ge 2`. Items with no annotations are allowed and ignored.
        max_iter: most L-BFGS-B iterations.
        tol: L-BFGS-B ``ftol`` on the mean negative log-likelihood per item.
        max_precision: largest believable :math:`A = \sum_k \alpha_k`. Above it the
            annotations show no more spread between items than multinomial noise
            alone, the likelihood keeps rising as :math:`A \to \infty` (one shared
            label distribution), and no finite MLE exists.

    Returns:
        :math:`\hat\alpha`, shape ``(k,)``.

    Raises:
        ValueError: if `counts` is not an ``(n_items, k)`` array of non-negative
            integers with :math:`k \ge 2`, fewer than two classes were ever chosen, or
            no item has two or more annotations (then :math:`A` is not identifiable).
        RuntimeError: if L-BFGS-B does not converge (raise `max_iter`), or the fitted
            :math:`A` exceeds `max_precision` (no overdispersion; use the pooled label
            distribution for every item instead of a Dirichlet prior).
    """
    from scipy.optimize import minimize
    from scipy.special import digamma, gammaln

    observed = _as_count_matrix(counts, "counts")
    check_positive_int(max_iter, "max_iter")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    if observed.shape[1] < 2:
        raise ValueError(f"need at least 2 classes, got {observed.shape[1]}")
    chosen = observed.sum(axis=0) > 0
    if chosen.sum() < 2:
        raise ValueError(
            "fewer than two classes were ever chosen by an annotator; "
            "a Dirichlet prior over one class is not identifiable"
        )
    totals = observed.sum(axis=1)
    if not np.any(totals >= 2):
        raise ValueError(
            "no item has 2 or more annotations; the spread between items (the prior's "
            "precision) cannot be estimated from single labels"
        )
    rows = observed[totals > 0][:, chosen]
    totals = totals[totals > 0]
    n_items = rows.shape[0]

    def objective(log_alpha: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        alpha = np.exp(log_alpha)
        total_alpha = alpha.sum()
        log_likelihood = np.sum(gammaln(total_alpha) - gammaln(total_alpha + totals)) + np.sum(
            gammaln(rows + alpha) - gammaln(alpha)
        )
        gradient = np.sum(digamma(total_alpha) - digamma(total_alpha + totals)) + np.sum(
            digamma(rows + alpha) - digamma(alpha), axis=0
        )
        return -float(log_likelihood) / n_items, -(gradient * alpha) / n_items

    result = minimize(
        objective,
        np.zeros(rows.shape[1]),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-9},
    )
    fitted = np.exp(result.x)
    # Near the optimum the mean log-likelihood is flat to rounding and the line search can
    # stop ("ABNORMAL") a hair away; a gradient this small moves alpha by far less than its
    # standard error, so such a stop counts as converged.
    stationary = bool(np.max(np.abs(result.jac)) <= _GRADIENT_TOL)
    # Checked first: a fit drifting to infinite precision also stalls its line search.
    if not np.all(np.isfinite(fitted)) or fitted.sum() > max_precision:
        raise RuntimeError(
            f"fitted precision sum(alpha) = {fitted.sum():.3g} exceeds max_precision = "
            f"{max_precision:g}: the annotations vary no more between items than multinomial "
            "noise, so the MLE is at infinity (every item shares one label distribution)"
        )
    if not (result.success or stationary):
        raise RuntimeError(
            f"Dirichlet prior fit did not converge after {result.nit} iterations "
            f"({result.message}); raise max_iter"
        )
    alpha = np.full(observed.shape[1], _ALPHA_FLOOR)
    alpha[chosen] = fitted
    return alpha


def best_possible_score(
    counts: ArrayLike,
    metric: Literal["cross_entropy", "accuracy"] = "cross_entropy",
    *,
    labels: ArrayLike | None = None,
    alpha: ArrayLike | None = None,
    n_samples: int = 1000,
    seed: int = 0,
) -> float:
    r"""Scruples' BEST: the expected score of an oracle knowing each item's label distribution.

    Annotations are noisy draws from each item's latent label distribution
    :math:`\theta_i`, so even a perfect model cannot match them. Lourie et al. [Scr]
    estimate the score of the oracle that predicts :math:`\theta_i` itself by
    empirical Bayes, as in their ``utils.oracle_performance`` and
    ``scripts/analyze/*/oracle_performance.py``:

    1. fit a population prior :math:`\hat\alpha` (:func:`fit_dirichlet_prior`);
    2. the posterior of item :math:`i` is :math:`\theta_i \mid x_i \sim
       \mathrm{Dir}(\hat\alpha + x_i)`;
    3. BEST is the posterior expectation of the metric when :math:`\theta_i` is the
       prediction and the observed annotations are the gold:

    .. math:: \mathrm{BEST}_{\mathrm{xent}} = \frac1N \sum_i
              \mathbb{E}_{\theta_i \sim \mathrm{Dir}(\hat\alpha + x_i)}
              \Bigl[-\sum_k y_{ik} \ln \theta_{ik}\Bigr]
              = \frac1N \sum_i \sum_k y_{ik}
              \bigl(\psi(a_{i0}) - \psi(a_{ik})\bigr),

    with :math:`y_i = x_i / n_i`, :math:`a_i = \hat\alpha + x_i`,
    :math:`a_{i0} = \sum_k a_{ik}`, using
    :math:`\mathbb{E}[\ln\theta_k] = \psi(a_k) - \psi(a_0)` for a Dirichlet. The
    authors average over 10,000 (script) or 625 (``utils``) Monte Carlo draws of all
    :math:`\theta_i`; the closed form is the limit of that average (checked in the
    tests), so no sampling is needed for cross-entropy. For accuracy

    .. math:: \mathrm{BEST}_{\mathrm{acc}} = \frac1N \sum_i
              P_{\theta_i \sim \mathrm{Dir}(\hat\alpha + x_i)}
              \bigl[\arg\max_k \theta_{ik} = g_i\bigr]

    has no closed form for :math:`k > 2`, and is estimated as the paper does: the
    mean over `n_samples` joint draws of the accuracy of :math:`\arg\max\theta_i`
    (standard error about :math:`0.5 / \sqrt{N \cdot n\_samples}` or less).

    Note that the oracle's prediction is a *draw* from the posterior, not the
    posterior mean :math:`a_i / a_{i0}`: BEST is the expected score of the true
    distribution, given what the annotations tell us about it. Scoring the posterior
    mean instead would give a lower (optimistic) cross-entropy, by Jensen's inequality.

    Args:
        counts: shape ``(n_items, k)``, non-negative integer annotation counts of the
            items to score; every item needs at least one annotation.
        metric: ``"cross_entropy"`` (soft cross-entropy against the normalised counts,
            nats, lower is better; :func:`soft_cross_entropy`) or ``"accuracy"``
            (against `labels`, higher is better).
        labels: gold label index per item for ``"accuracy"``; default the argmax of
            each row of `counts`, the lowest index on ties (``np.argmax``, as in
            Scruples' ``utils.oracle_performance``).
        alpha: the prior; default ``fit_dirichlet_prior(counts)``. Pass a prior fitted
            on more annotations (Scruples' Dilemmas script fits on the gold plus the
            human-performance annotations and scores against the gold ones).
        n_samples: Monte Carlo rounds for ``"accuracy"`` (ignored for cross-entropy).
        seed: seed of the Monte Carlo draws.

    Returns:
        The BEST estimate; NaN when `counts` has no rows.

    Raises:
        ValueError: on invalid counts, an item with no annotations, an unknown
            `metric`, labels out of range or of the wrong length, or a bad `alpha`.
        RuntimeError: if fitting the prior fails (see :func:`fit_dirichlet_prior`).
    """
    from scipy.special import digamma

    if metric not in ("cross_entropy", "accuracy"):
        raise ValueError(f"metric must be 'cross_entropy' or 'accuracy', got {metric!r}")
    check_positive_int(n_samples, "n_samples")
    observed = _as_count_matrix(counts, "counts")
    n_items, n_classes = observed.shape
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    totals = observed.sum(axis=1)
    if np.any(totals == 0):
        raise ValueError(
            f"item {int(np.argmax(totals == 0))} has no annotations; drop such items first"
        )
    gold = None
    if metric == "accuracy":
        gold = _as_label_vector(labels, n_classes) if labels is not None else None
        if gold is not None:
            check_same_length(gold, observed, "labels", "counts")
    if n_items == 0:
        return math.nan
    prior = fit_dirichlet_prior(observed) if alpha is None else _as_alpha(alpha)
    if prior.size != n_classes:
        raise ValueError(f"alpha has {prior.size} classes but counts have {n_classes}")
    posterior = prior + observed

    if metric == "cross_entropy":
        target = observed / totals[:, None]
        expected_log = digamma(posterior) - digamma(posterior.sum(axis=1, keepdims=True))
        return float(np.mean(-np.sum(target * expected_log, axis=1)))

    if gold is None:
        gold = np.argmax(observed, axis=1)
    rng = np.random.default_rng(seed)
    # Draw rounds in chunks of at most ~4M gamma variates to bound memory.
    chunk = max(1, 4_000_000 // (n_items * n_classes))
    hits = 0.0
    done = 0
    while done < n_samples:
        size = min(chunk, n_samples - done)
        # Normalised independent Gamma(a_ik) draws are Dir(a_i); argmax needs no normalising.
        draws = rng.gamma(posterior, size=(size, n_items, n_classes))
        hits += float(np.sum(np.argmax(draws, axis=2) == gold))
        done += size
    return hits / (n_samples * n_items)


# --- Calibration ------------------------------------------------------------------------------


def expected_calibration_error(
    confidences: ArrayLike, correct: ArrayLike, n_bins: int = 10
) -> float:
    r"""Expected calibration error over equal-width confidence bins (Guo et al. 2017).

    Split :math:`[0, 1]` into :math:`M` bins :math:`I_m = ((m-1)/M, m/M]` (a
    confidence of exactly 0 goes in the first bin) and let :math:`B_m` be the items
    whose confidence falls in :math:`I_m`; then [Guo]

    .. math:: \mathrm{ECE} = \sum_{m=1}^{M} \frac{|B_m|}{n}
              \bigl|\mathrm{acc}(B_m) - \mathrm{conf}(B_m)\bigr|

    with :math:`\mathrm{acc}` the share correct and :math:`\mathrm{conf}` the mean
    confidence in the bin; empty bins add nothing.

    Worked example (:math:`M = 10`): confidences (0.95, 0.95, 0.65, 0.62) with
    correct (1, 0, 1, 1). Bin (0.9, 1]: acc 0.5, conf 0.95, weight 2/4;
    bin (0.6, 0.7]: acc 1, conf 0.635, weight 2/4. ECE = 0.5 * 0.45 + 0.5 * 0.365
    = 0.4075.

    Args:
        confidences: the model's confidence in its answer for each item, in [0, 1].
        correct: whether each answer was right (bools or 0/1), same length.
        n_bins: number of equal-width bins :math:`M \ge 1`.

    Returns:
        The ECE in [0, 1], or NaN when there are no items.

    Raises:
        ValueError: if lengths differ, a confidence is outside [0, 1] or not finite,
            `correct` is not boolean, or `n_bins` < 1.
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    confidence = as_float_vector(confidences, "confidences")
    hits = as_bool_vector(correct, "correct")
    check_same_length(confidence, hits, "confidences", "correct")
    if np.any((confidence < 0) | (confidence > 1)):
        raise ValueError("confidences must lie in [0, 1]")
    if confidence.size == 0:
        return math.nan
    # m / M exactly rounded (linspace can land an ulp off), so 0.3 is the edge of (0.2, 0.3].
    edges = np.arange(n_bins + 1) / n_bins
    # right=True: bin m holds edges[m-1] < c <= edges[m]; c = 0 lands in index 0 -> bin 1.
    bins = np.clip(np.digitize(confidence, edges, right=True), 1, n_bins) - 1
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(
        np.bincount(bins, weights=hits.astype(np.float64), minlength=n_bins)
        - np.bincount(bins, weights=confidence, minlength=n_bins)
    )
    # sum_m |B_m|/n * |acc_m - conf_m| = sum_m |sum_{B_m} (hit - conf)| / n
    return float(gap[count > 0].sum() / confidence.size)


def expected_calibration_error_from_probs(
    probs: ArrayLike, labels: ArrayLike, n_bins: int = 10
) -> float:
    r"""ECE of a classifier from its class probabilities, with max-probability confidence.

    As in [Guo]: the prediction is :math:`\hat y_i = \arg\max_k \hat p_{ik}` (the
    lowest index on ties) and the confidence :math:`\max_k \hat p_{ik}`; then
    :func:`expected_calibration_error` of those confidences and
    :math:`\mathbb{1}[\hat y_i = y_i]`.

    Args:
        probs: shape ``(n_items, k)``, each row non-negative and summing to 1.
        labels: the gold class index of each item, integers in ``[0, k)``.
        n_bins: number of equal-width bins :math:`M \ge 1`.

    Returns:
        The ECE in [0, 1], or NaN when there are no items.

    Raises:
        ValueError: on a bad `probs` matrix (see :func:`soft_cross_entropy`), labels
            out of range or of the wrong length, or `n_bins` < 1.
    """
    if np.ndim(probs) != 2:
        raise ValueError(f"probs must be 2-D (items x classes), got shape {np.shape(probs)}")
    matrix = _as_probability_rows(probs, "probs")
    gold = _as_label_vector(labels, matrix.shape[1])
    check_same_length(matrix, gold, "probs", "labels")
    return expected_calibration_error(
        matrix.max(axis=1, initial=0.0), np.argmax(matrix, axis=1) == gold, n_bins
    )


# --- Input checks -----------------------------------------------------------------------------


def _is_numeric(values: ArrayLike) -> bool:
    try:
        np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _as_distribution(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return non-negative 1-D weights divided by their sum, or raise ValueError."""
    array = as_float_vector(values, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty; a distribution needs at least one outcome")
    if np.any(array < 0):
        raise ValueError(f"{name} holds negative values; give counts or probabilities")
    total = array.sum()
    if total <= 0:
        raise ValueError(f"{name} sums to 0; a distribution needs some mass")
    return array / total


def _as_probability_rows(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return a 1-D or 2-D array whose last axis holds probability distributions."""
    if not _is_numeric(values):
        raise ValueError(f"{name} must be a numeric 1-D or 2-D array")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (classes) or 2-D (items x classes), got {array.shape}"
        )
    if array.shape[-1] == 0:
        raise ValueError(f"{name} has no classes")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    if np.any(array < 0):
        raise ValueError(f"{name} holds negative values; probabilities are >= 0")
    sums = array.sum(axis=-1)
    if np.any(np.abs(sums - 1) > _SUM_TOL):
        raise ValueError(
            f"each row of {name} must sum to 1 (got sums such as "
            f"{float(np.ravel(sums)[np.argmax(np.abs(np.ravel(sums) - 1))]):.6g}); "
            "normalise first (for annotation counts, divide by the row total)"
        )
    return array


def _check_counts(array: NDArray[np.float64], name: str) -> None:
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    if np.any(array < 0) or np.any(array != np.round(array)):
        raise ValueError(f"{name} must hold non-negative integer counts")


def _as_count_matrix(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return an (items x classes) array of non-negative integer counts, as floats."""
    if not _is_numeric(values):
        raise ValueError(f"{name} must be a numeric (items x classes) array of counts")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (items x classes), got shape {array.shape}")
    _check_counts(array, name)
    return array


def _as_alpha(values: ArrayLike) -> NDArray[np.float64]:
    array = as_float_vector(values, "alpha")
    if array.size == 0 or np.any(array <= 0):
        raise ValueError("alpha must be a non-empty vector of Dirichlet parameters > 0")
    return array


def _as_label_vector(values: ArrayLike, n_classes: int) -> NDArray[np.intp]:
    """Return class indices in [0, n_classes) as a 1-D int array."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"labels must be a 1-D sequence of class indices, got {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.intp)
    if array.dtype.kind not in "iu" or np.any((array < 0) | (array >= n_classes)):
        raise ValueError(f"labels must be integers in [0, {n_classes}), got {array[:5].tolist()}")
    return array.astype(np.intp)
