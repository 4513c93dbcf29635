"""Small helpers shared by the report sections (values, pluralism).

Deprecated: analyses return :class:`~alignlab.report.sections.Section` s
(figures as :class:`~alignlab.report.sections.Figure`, numbers through
:mod:`alignlab.report.format`) and no HTML. This module goes once the last
family analysis stops importing it.

Chart helpers (``PALETTE``, ``png_data_uri``, ``tidy_axes``) live in
:mod:`alignlab.report.html`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from markupsafe import escape


def figure(src: str, caption: str) -> str:
    """An HTML figure: the image at ``src`` with ``caption`` as alt text and caption."""
    return (
        f'<figure><img src="{escape(src)}" alt="{escape(caption)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def pct(x: float) -> str:
    """``x`` as a percentage with one decimal, ``n/a`` when not finite."""
    return f"{100 * x:.1f}%" if math.isfinite(x) else "n/a"


def mean(units: Sequence[float]) -> float:
    """The mean of ``units``, NaN when there are none."""
    return float(np.mean(units)) if len(units) else math.nan


def short(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
