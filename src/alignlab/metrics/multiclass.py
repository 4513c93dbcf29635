"""Hard-label metrics of a K-way classifier from confusion matrices: F1-macro, balanced
accuracy, Matthews correlation, and their BEST (the oracle's expected score).

Scruples (Lourie et al., AAAI 2021; ``baselines/metrics.py``) reports these
beside accuracy. Each metric takes a confusion matrix ``C[t, p]`` (gold ``t``,
predicted ``p``) or a stack of them, so the thousands of rounds of a Monte
Carlo estimate are computed at once. An item whose answer could not be read
has prediction ``-1``: it counts against its gold class (a false negative)
and for no class.

Definitions follow scikit-learn (checked against it in the tests):

* F1-macro: the unweighted mean over classes present in the gold labels or
  the predictions of :math:`2TP_k / (2TP_k + FP_k + FN_k)`
  (``f1_score(average="macro")``, ``zero_division=0``);
* balanced accuracy: the mean over classes present in the gold labels of
  their recall :math:`TP_k / (TP_k + FN_k)` (``balanced_accuracy_score``);
* MCC (Gorodkin's multi-class :math:`R_K`): with :math:`t_k` gold and
  :math:`p_k` predicted counts, :math:`c` correct and :math:`s` items,
  :math:`(c s - \\sum_k t_k p_k) / \\sqrt{(s^2 - \\sum_k p_k^2)(s^2 - \\sum_k t_k^2)}`,
  0 when a factor of the denominator is 0 (``matthews_corrcoef``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alignlab.metrics.distributions import fit_dirichlet_prior

ConfusionMetric = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def confusion(pred: ArrayLike, gold: ArrayLike, n_classes: int) -> NDArray[np.float64]:
    """Confusion matrices ``C[..., t, p]`` of predictions against gold, plus a column of
    unreadable answers.

    Args:
        pred: ``(n,)`` or ``(rounds, n)`` predicted class indices, ``-1`` for no answer.
        gold: ``(n,)`` gold class indices in ``[0, n_classes)``.
        n_classes: K.

    Returns:
        ``(K, K + 1)`` or ``(rounds, K, K + 1)`` counts; the last column
        counts the items of each gold class that got no readable answer.

    Raises:
        ValueError: labels outside the classes, or mismatched lengths.
    """
    p = np.asarray(pred, dtype=int)
    g = np.asarray(gold, dtype=int)
    if g.ndim != 1 or p.shape[-1] != g.shape[0]:
        raise ValueError(f"pred {p.shape} and gold {g.shape} must have the same items")
    if g.size and (g.min() < 0 or g.max() >= n_classes):
        raise ValueError("gold labels must lie in [0, n_classes)")
    if p.size and (p.min() < -1 or p.max() >= n_classes):
        raise ValueError("predictions must lie in [0, n_classes) or be -1 (no answer)")
    single = p.ndim == 1
    p2 = p.reshape(1, -1) if single else p
    rounds, width = p2.shape[0], n_classes + 1
    column = np.where(p2 < 0, n_classes, p2)
    cells = (np.arange(rounds)[:, None] * n_classes + g[None, :]) * width + column
    counts = np.bincount(cells.ravel(), minlength=rounds * n_classes * width)
    matrix = counts.reshape(rounds, n_classes, width).astype(float)
    return matrix[0] if single else matrix


def _parts(
    c: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(true positives, gold counts, predicted counts) per class."""
    k = c.shape[-2]
    square = c[..., :k]
    return np.diagonal(square, axis1=-2, axis2=-1), c.sum(axis=-1), square.sum(axis=-2)


def f1_macro(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """F1-macro of confusion matrix(-ces) ``c`` from :func:`confusion` (module docstring)."""
    tp, gold, predicted = _parts(c)
    denominator = gold + predicted
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    present = (denominator > 0).sum(axis=-1)
    return np.divide(f1.sum(axis=-1), present, out=np.zeros(f1.shape[:-1]), where=present > 0)


def balanced_accuracy(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """Balanced accuracy (mean recall over gold classes) of confusion matrix(-ces) ``c``."""
    tp, gold, _ = _parts(c)
    recall = np.divide(tp, gold, out=np.zeros_like(tp), where=gold > 0)
    present = (gold > 0).sum(axis=-1)
    return np.divide(
        recall.sum(axis=-1), present, out=np.zeros(recall.shape[:-1]), where=present > 0
    )


def matthews_corrcoef(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """Multi-class Matthews correlation of confusion matrix(-ces) ``c``."""
    tp, t, p = _parts(c)
    correct = tp.sum(axis=-1)
    s = t.sum(axis=-1)
    cov_tp = correct * s - (t * p).sum(axis=-1)
    cov_pp = s**2 - (p * p).sum(axis=-1)
    cov_tt = s**2 - (t * t).sum(axis=-1)
    denominator = np.sqrt(cov_pp * cov_tt)
    return np.divide(cov_tp, denominator, out=np.zeros_like(cov_tp), where=denominator > 0)


HARD_METRICS: dict[str, ConfusionMetric] = {
    "f1_macro": f1_macro,
    "balanced_accuracy": balanced_accuracy,
    "mcc": matthews_corrcoef,
}
"""Scruples' hard metrics beside accuracy, by report name."""


def best_hard_metrics(
    counts: ArrayLike,
    gold: ArrayLike,
    metrics: Mapping[str, ConfusionMetric] = HARD_METRICS,
    *,
    alpha: ArrayLike | None = None,
    n_rounds: int = 10_000,
    seed: int = 0,
    chunk: int = 500,
) -> dict[str, float]:
    r"""BEST of hard metrics: the expected score of an oracle that knows each item's distribution.

    As in Scruples' ``oracle_performance`` scripts: fit a population Dirichlet
    prior :math:`\hat\alpha` to the annotation counts, then in each of
    ``n_rounds`` Monte Carlo rounds draw every item's label distribution
    :math:`\theta_i \sim \mathrm{Dir}(\hat\alpha + x_i)`, predict
    :math:`\arg\max_k \theta_{ik}`, and score the round against ``gold``;
    BEST is the mean over rounds.

    Args:
        counts: ``(n_items, K)`` annotation counts.
        gold: ``(n_items,)`` gold labels.
        metrics: name -> metric of confusion matrices.
        alpha: the prior; default :func:`fit_dirichlet_prior` of ``counts``.
        n_rounds: Monte Carlo rounds (the paper's scripts use 10,000).
        seed: of the draws.
        chunk: rounds drawn at once (bounds memory at ``chunk * n_items * K``).

    Returns:
        name -> BEST.

    Raises:
        ValueError, RuntimeError: from :func:`fit_dirichlet_prior` when no prior fits.
    """
    x = np.asarray(counts, dtype=float)
    g = np.asarray(gold, dtype=int)
    prior = fit_dirichlet_prior(x) if alpha is None else np.asarray(alpha, dtype=float)
    posterior = prior[None, :] + x
    rng = np.random.default_rng(seed)
    totals = {name: 0.0 for name in metrics}
    done = 0
    while done < n_rounds:
        size = min(chunk, n_rounds - done)
        # argmax of a Dirichlet draw = argmax of its independent gamma draws.
        draws = rng.gamma(posterior[None, :, :], size=(size, *posterior.shape))
        c = confusion(np.argmax(draws, axis=2), g, x.shape[1])
        for name, metric in metrics.items():
            totals[name] += float(metric(c).sum())
        done += size
    return {name: total / n_rounds for name, total in totals.items()}
