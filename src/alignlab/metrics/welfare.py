"""Pluralistic aggregation: social welfare over a jury's ratings, and Overton coverage.

Sorensen et al. [PA] propose *jury-pluralistic* benchmarks, where a jury of people
(or simulated personas) with different values each rate a response and a social
welfare function turns the ratings into one score, and *Overton* pluralism, where one
response should cover the spectrum of reasonable perspectives. The welfare functions
are the classical ones: utilitarian (mean), Nash (product, here as a geometric mean)
and egalitarian / Rawlsian (minimum).

References:
    [PA] Sorensen, Moore, Fisher, Gordon, Mireshghallah, Rytting, Ye, Jiang, Lu,
        Dziri, Althoff, Choi. "A Roadmap to Pluralistic Alignment." ICML 2024.
        arXiv:2402.05070.
    [Nash] Nash. "The Bargaining Problem." Econometrica 18(2), 1950.
    [KN] Kaneko, Nakamura. "The Nash Social Welfare Function." Econometrica 47(2), 1979.
    [Rawls] Rawls. A Theory of Justice, 1971 (the maximin / egalitarian criterion).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alignlab.metrics._validate import as_float_vector

__all__ = [
    "aggregate_jury",
    "egalitarian_welfare",
    "nash_welfare",
    "overton_coverage",
    "utilitarian_welfare",
]

WelfareRule = Literal["utilitarian", "nash", "egalitarian"]


def utilitarian_welfare(ratings: ArrayLike) -> float:
    r"""Utilitarian welfare: the jurors' mean rating, :math:`\frac1J \sum_j s_j` [PA].

    Args:
        ratings: one finite rating per juror.

    Returns:
        The mean, or NaN when there are no ratings.

    Raises:
        ValueError: if `ratings` is not 1-D or holds NaN or infinity.
    """
    values = as_float_vector(ratings, "ratings")
    if values.size == 0:
        return math.nan
    return float(values.mean())


def nash_welfare(ratings: ArrayLike) -> float:
    r"""Nash welfare as the geometric mean of the jurors' ratings.

    The Nash social welfare function [Nash, KN] is the product :math:`\prod_j s_j`
    (equivalently :math:`\sum_j \ln s_j`) [PA]. We return its :math:`J`-th root,

    .. math:: W_{\mathrm{Nash}} = \Bigl(\prod_{j=1}^{J} s_j\Bigr)^{1/J}
              = \exp\Bigl(\frac1J \sum_j \ln s_j\Bigr),

    which ranks responses rated by the same jury exactly as the product does, stays
    on the rating scale (so it can be compared with the utilitarian mean, which it
    never exceeds), and does not overflow. It lies between the utilitarian and the
    egalitarian welfare, rewarding a response less when it pleases some jurors at
    others' expense.

    Ratings must be strictly positive: a single 0 would make the product 0 whatever
    the others say. If your scale includes 0 or negatives (say -2..2), shift it
    first (to 1..5). The Nash ranking depends on that shift, unlike the utilitarian
    and egalitarian ones, so report the scale used.

    Worked example: ratings (1, 4): :math:`\sqrt{1 \cdot 4} = 2`, against a mean of
    2.5 and a minimum of 1.

    Args:
        ratings: one finite rating per juror, each > 0.

    Returns:
        The geometric mean, or NaN when there are no ratings.

    Raises:
        ValueError: if `ratings` is not 1-D, holds NaN or infinity, or a rating <= 0.
    """
    values = as_float_vector(ratings, "ratings")
    if values.size == 0:
        return math.nan
    _check_positive(values)
    return float(np.exp(np.mean(np.log(values))))


def egalitarian_welfare(ratings: ArrayLike) -> float:
    r"""Egalitarian (Rawlsian maximin) welfare: the lowest rating, :math:`\min_j s_j` [PA, Rawls].

    Args:
        ratings: one finite rating per juror.

    Returns:
        The minimum, or NaN when there are no ratings.

    Raises:
        ValueError: if `ratings` is not 1-D or holds NaN or infinity.
    """
    values = as_float_vector(ratings, "ratings")
    if values.size == 0:
        return math.nan
    return float(values.min())


def aggregate_jury(
    ratings: ArrayLike, rule: WelfareRule = "utilitarian"
) -> tuple[int, NDArray[np.float64]]:
    r"""Score each candidate response by a jury's welfare and pick the best one [PA].

    .. math:: W(c) = \mathrm{SWF}\bigl(s_1(c), \dots, s_J(c)\bigr), \qquad
              c^* = \arg\max_c W(c)

    with the SWF :func:`utilitarian_welfare`, :func:`nash_welfare` or
    :func:`egalitarian_welfare`.

    Worked example (3 candidates, 3 jurors): A = (5, 5, 1), B = (3, 3, 3),
    C = (4, 4, 2). Means 3.667, 3, 3.333 -> A; geometric means 2.924, 3, 3.175 -> C;
    minima 1, 3, 2 -> B. The rules disagree exactly where a candidate trades one
    juror's satisfaction for others'.

    Args:
        ratings: ``(n_candidates, n_jurors)`` finite ratings; every juror rates every
            candidate (for ``"nash"``, ratings > 0: see :func:`nash_welfare`).
        rule: ``"utilitarian"``, ``"nash"`` or ``"egalitarian"``.

    Returns:
        ``(best, scores)``: the index of the highest-welfare candidate (the lowest
        index on a tie) and the welfare of every candidate, shape ``(n_candidates,)``.

    Raises:
        ValueError: if `ratings` is not a non-empty 2-D finite matrix, `rule` is
            unknown, or a rating is <= 0 under ``"nash"``.
    """
    if rule not in ("utilitarian", "nash", "egalitarian"):
        raise ValueError(f"rule must be 'utilitarian', 'nash' or 'egalitarian', got {rule!r}")
    matrix = _as_finite_matrix(ratings, "ratings", "candidates x jurors")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(
            f"ratings needs at least one candidate and one juror, got shape {matrix.shape}"
        )
    if rule == "utilitarian":
        scores = matrix.mean(axis=1)
    elif rule == "nash":
        _check_positive(matrix)
        scores = np.exp(np.log(matrix).mean(axis=1))
    else:
        scores = matrix.min(axis=1)
    return int(np.argmax(scores)), scores


def overton_coverage(similarities: ArrayLike, threshold: float) -> float:
    r"""Share of reasonable perspectives that a response covers (Overton pluralism).

    For the perspectives :math:`W(x)` of a question and the units :math:`u` of one
    answer (sentences, claims), with a similarity or entailment score
    :math:`\mathrm{sim}(w, u)` from an NLI model or judge,

    .. math:: \mathrm{coverage} = \frac{1}{|W(x)|} \sum_{w \in W(x)}
              \mathbb{1}\Bigl[\max_u \mathrm{sim}(w, u) \ge \tau\Bigr]

    Sorensen et al. [PA] define an Overton-pluralistic response as one covering the
    Overton window; this thresholded fraction is our operationalisation of it
    (the spec's ``coverage(y, x)``); average it over questions.

    Worked example: similarities ((0.9, 0.1), (0.2, 0.4), (0.5, 0.7)),
    :math:`\tau = 0.7`: best matches 0.9, 0.4, 0.7, so 2 of 3 perspectives covered.

    Args:
        similarities: ``(n_perspectives, n_answer_units)`` finite scores.
        threshold: :math:`\tau`; a perspective is covered when some unit scores at
            least this.

    Returns:
        The coverage in [0, 1]: 0.0 when the answer has no units, NaN when there are
        no perspectives.

    Raises:
        ValueError: if `similarities` is not 2-D or holds NaN or infinity, or
            `threshold` is not finite.
    """
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    matrix = _as_finite_matrix(similarities, "similarities", "perspectives x answer units")
    if matrix.shape[0] == 0:
        return math.nan
    if matrix.shape[1] == 0:
        return 0.0
    return float(np.mean(matrix.max(axis=1) >= threshold))


def _check_positive(values: NDArray[np.float64]) -> None:
    if np.any(values <= 0):
        raise ValueError(
            "Nash welfare needs ratings > 0 (one 0 zeroes the product); shift the scale "
            "first, e.g. ratings - min_possible + 1"
        )


def _as_finite_matrix(values: ArrayLike, name: str, axes: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a 2-D ({axes}) array of numbers: {error}") from error
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D ({axes}), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array
