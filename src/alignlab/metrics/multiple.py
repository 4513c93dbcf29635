"""Several paired comparisons at once: Holm's step-down correction and paired effect sizes.

References:
    [Holm] Holm. "A Simple Sequentially Rejective Multiple Test Procedure."
        Scandinavian Journal of Statistics 6(2), 1979.
    [Lakens] Lakens. "Calculating and reporting effect sizes to facilitate cumulative
        science: a practical primer for t-tests and ANOVAs." Frontiers in Psychology 4, 2013
        (Cohen's d_z for paired designs, eq. 6).
"""

from __future__ import annotations

import math

import numpy as np

from alignlab.metrics._validate import Floats, as_float_vector, check_same_length

__all__ = ["cohens_dz", "holm_adjust"]


def holm_adjust(p_values: Floats) -> list[float]:
    r"""Holm-adjusted p-values: reject hypothesis :math:`i` at level :math:`\alpha` iff
    its adjusted p-value is :math:`\le \alpha`, controlling the family-wise error rate [Holm].

    With the :math:`m` p-values sorted :math:`p_{(1)} \le \dots \le p_{(m)}`,
    :math:`\tilde p_{(k)} = \max_{j \le k} \min(1, (m - j + 1)\, p_{(j)})`; NaN
    p-values (comparisons that could not be made) stay NaN and do not count in
    :math:`m`.

    Args:
        p_values: one p-value per hypothesis, each in [0, 1] or NaN.

    Returns:
        The adjusted p-values, in the input order.

    Raises:
        ValueError: a p-value outside [0, 1].
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    finite = np.isfinite(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p_values must lie in [0, 1]")
    out = np.full(p.shape, math.nan)
    index = np.flatnonzero(finite)
    m = index.size
    if m == 0:
        return out.tolist()
    order = index[np.argsort(p[index], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out.tolist()


def cohens_dz(a: Floats, b: Floats) -> float:
    r"""Cohen's :math:`d_z` of paired scores: :math:`\bar d / s_d` with :math:`d_i = b_i - a_i`
    and :math:`s_d` the sample standard deviation (``ddof=1``) [Lakens, eq. 6].

    The paired t statistic is :math:`t = d_z \sqrt{n}`.

    Returns:
        :math:`d_z`; NaN with fewer than two items, or when every difference is the
        same (no spread); 0 when every difference is 0.

    Raises:
        ValueError: lengths differ, or a score is NaN or infinite.
    """
    x = as_float_vector(a, "a")
    y = as_float_vector(b, "b")
    check_same_length(x, y, "a", "b")
    d = y - x
    if d.size < 2:
        return math.nan
    if np.all(d == 0):
        return 0.0
    sd = float(np.std(d, ddof=1))
    return math.nan if sd == 0 else float(np.mean(d)) / sd
