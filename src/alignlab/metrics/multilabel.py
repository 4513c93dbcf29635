"""Scores for multi-label moral classification (EALM QA-ETHICS / MP-ETHICS): exact match, F1.

An item may violate several principles at once, so predictions and gold are
``(n_items, n_labels)`` 0/1 indicator matrices, as in ``sklearn.metrics``. The three
scores here equal ``sklearn.metrics.accuracy_score`` (subset accuracy) and
``sklearn.metrics.f1_score(average="micro" | "macro", zero_division=...)`` on such
matrices, without the warnings.

References:
    [Tso] Tsoumakas, Katakis, Vlahavas. "Mining Multi-label Data." Data Mining and
        Knowledge Discovery Handbook, Springer 2010 (subset accuracy, micro/macro F1).
    [vR] van Rijsbergen. Information Retrieval, 2nd ed., 1979 (F-measure).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["exact_match_multilabel", "macro_f1", "micro_f1"]


def exact_match_multilabel(pred: ArrayLike, gold: ArrayLike) -> float:
    r"""Share of items whose whole label set is predicted exactly (subset accuracy).

    .. math:: \mathrm{EM} = \frac1N \sum_{i=1}^{N} \mathbb{1}[\hat Y_i = Y_i]

    where :math:`\hat Y_i, Y_i` are item :math:`i`'s predicted and gold label sets
    [Tso]; one wrong label makes the item wrong. Equals
    ``sklearn.metrics.accuracy_score`` on indicator matrices.

    Args:
        pred: ``(n_items, n_labels)`` predicted indicators (bools or 0/1).
        gold: gold indicators of the same shape.

    Returns:
        The exact-match rate in [0, 1], or NaN when there are no items.

    Raises:
        ValueError: if the inputs are not 2-D 0/1 matrices of one shape with at least
            one label column.
    """
    predicted, wanted = _as_indicator_pair(pred, gold)
    if predicted.shape[0] == 0:
        return math.nan
    return float(np.mean(np.all(predicted == wanted, axis=1)))


def micro_f1(pred: ArrayLike, gold: ArrayLike, *, zero_division: float = 0.0) -> float:
    r"""F1 over all (item, label) decisions pooled together.

    With true positives, false positives and false negatives counted over every
    item and label [Tso, vR],

    .. math:: F_1^{\mathrm{micro}} = \frac{2\,TP}{2\,TP + FP + FN}

    (the harmonic mean of pooled precision and recall). When :math:`2TP + FP + FN = 0`
    (no positive in gold or prediction anywhere) the ratio is 0/0 and
    `zero_division` is returned, as ``sklearn.metrics.f1_score(average="micro")``
    does.

    Args:
        pred: ``(n_items, n_labels)`` predicted indicators (bools or 0/1).
        gold: gold indicators of the same shape.
        zero_division: value for the 0/0 case: 0.0 (sklearn's default), 1.0 or NaN.

    Returns:
        Micro-F1 in [0, 1] (or `zero_division`), NaN when there are no items.

    Raises:
        ValueError: on bad inputs (see :func:`exact_match_multilabel`) or a
            `zero_division` other than 0, 1 or NaN.
    """
    counts = _f1_counts(pred, gold, zero_division)
    if counts is None:
        return math.nan
    true_pos, false_pos, false_neg = counts
    denominator = 2 * true_pos.sum() + false_pos.sum() + false_neg.sum()
    if denominator == 0:
        return float(zero_division)
    return float(2 * true_pos.sum() / denominator)


def macro_f1(pred: ArrayLike, gold: ArrayLike, *, zero_division: float = 0.0) -> float:
    r"""Unweighted mean over labels of each label's F1.

    .. math:: F_1^{\mathrm{macro}} = \frac1L \sum_{l=1}^{L} \frac{2\,TP_l}{2\,TP_l + FP_l + FN_l}

    [Tso, vR]; every label counts equally, however rare. A label with no positive in
    either gold or prediction has :math:`F_{1,l} = 0/0` and takes `zero_division`:

    * ``0.0`` (default; sklearn's default behaviour): such a label counts as a miss,
      though the model was right never to predict it;
    * ``1.0``: it counts as perfect;
    * ``nan``: it is left out of the mean (NaN if every label is left out).

    A label with gold positives but no predicted ones (or the reverse) has
    :math:`F_{1,l} = 0` whatever `zero_division` is, as in sklearn (the
    denominator is then positive). Equals ``sklearn.metrics.f1_score(gold, pred,
    average="macro", zero_division=zero_division)``.

    Args:
        pred: ``(n_items, n_labels)`` predicted indicators (bools or 0/1).
        gold: gold indicators of the same shape.
        zero_division: value for a label's 0/0 case: 0.0, 1.0 or NaN.

    Returns Macro-F1 in [0, 1], NaN when there are no items; raises
    ValueError as :func:`micro_f1` does.
    """
    counts = _f1_counts(pred, gold, zero_division)
    if counts is None:
        return math.nan
    true_pos, false_pos, false_neg = counts
    denominator = 2 * true_pos + false_pos + false_neg
    per_label = np.full(denominator.shape, float(zero_division))
    defined = denominator > 0
    per_label[defined] = 2 * true_pos[defined] / denominator[defined]
    if np.isnan(per_label).all():
        return math.nan
    return float(np.nanmean(per_label))


def _f1_counts(
    pred: ArrayLike, gold: ArrayLike, zero_division: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None:
    """Per-label true positives, false positives and false negatives of checked inputs;
    None when there are no items."""
    _check_zero_division(zero_division)
    predicted, wanted = _as_indicator_pair(pred, gold)
    if predicted.shape[0] == 0:
        return None

    def per_label(hits: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.asarray(hits.sum(axis=0), dtype=np.int64)

    return (
        per_label(predicted & wanted),
        per_label(predicted & ~wanted),
        per_label(~predicted & wanted),
    )


def _check_zero_division(value: float) -> None:
    if not (value in (0.0, 1.0) or (isinstance(value, float) and math.isnan(value))):
        raise ValueError(f"zero_division must be 0.0, 1.0 or nan (as in sklearn), got {value!r}")


def _as_indicator(values: ArrayLike, name: str) -> NDArray[np.bool_]:
    array = np.asarray(values)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D (items x labels) 0/1 indicator matrix, got shape {array.shape}"
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no label columns")
    if array.dtype == np.bool_:
        return array
    if array.size and (array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all()):
        raise ValueError(f"{name} must hold only 0/1 (or True/False) indicators")
    return array.astype(bool)


def _as_indicator_pair(
    pred: ArrayLike, gold: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    predicted = _as_indicator(pred, "pred")
    wanted = _as_indicator(gold, "gold")
    if predicted.shape != wanted.shape:
        raise ValueError(
            f"pred and gold must have the same shape, got {predicted.shape} and {wanted.shape}"
        )
    return predicted, wanted
