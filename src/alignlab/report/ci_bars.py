"""Bar charts of rates and means with their confidence intervals, for families' report sections.

One horizontal bar per category (a group, a scenario, a principle), whiskers
from the CI's low to high end, and an optional dotted reference line (a
chance rate, the mean over groups). Returns a ``data:`` URI for
:class:`~alignlab.report.sections.Figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def ci_bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    xlabel: str,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """A horizontal bar chart, first label on top; bars with a NaN value are left empty.

    Raises:
        ValueError: the sequences differ in length.
    """
    from matplotlib.figure import Figure

    from alignlab.report.html import PALETTE, png_data_uri, tidy_axes

    if not len(labels) == len(values) == len(lows) == len(highs):
        raise ValueError("labels, values, lows and highs must have the same length")
    order = list(range(len(labels)))[::-1]
    fig = Figure(figsize=(6.5, 0.9 + 0.32 * len(labels)))
    ax = fig.add_subplot()
    shown = [values[i] if math.isfinite(values[i]) else 0.0 for i in order]
    below = [_half(values[i], lows[i], lower=True) for i in order]
    above = [_half(values[i], highs[i], lower=False) for i in order]
    ax.barh(range(len(order)), shown, color=PALETTE[0], alpha=0.8, height=0.6)
    ax.errorbar(shown, range(len(order)), xerr=[below, above], fmt="none", color="#333", capsize=3)
    if reference is not None and math.isfinite(reference):
        ax.axvline(reference, color="#999999", linestyle=":", linewidth=1.2, label=reference_label)
        if reference_label:
            ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([labels[i] for i in order], fontsize=8)
    ax.set_xlabel(xlabel)
    tidy_axes(ax, grid_axis="x")
    return png_data_uri(fig)


def _half(value: float, end: float, *, lower: bool) -> float:
    if not (math.isfinite(value) and math.isfinite(end)):
        return 0.0
    return max(0.0, value - end) if lower else max(0.0, end - value)
