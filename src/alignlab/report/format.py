"""The one number formatter of the report: every value a page or a table shows goes through here."""

from __future__ import annotations

import math
import numbers
from typing import Any


def num(x: float | None) -> str:
    """A metric value: three decimals (three significant digits from 1000 up); ``–`` for
    None (no such value) and ``n/a`` for NaN or infinity (could not be computed)."""
    if x is None:
        return "–"
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.3g}" if abs(x) >= 1000 else f"{x:.3f}"


def pct(x: float | None) -> str:
    """A rate as a percentage with one decimal; ``n/a`` when missing or not finite."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:.1f}%"


def interval(low: float | None, high: float | None) -> str:
    """A confidence interval ``[low, high]``; ``n/a`` when either end is missing."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{num(low)}, {num(high)}]"


def result_interval(result: Any) -> str:
    """A result's 95% CI as :func:`interval` writes it, with ``degenerate`` after a zero-width
    interval over several units (constant answers or too few clusters: not a precise number)."""
    shown = interval(result.ci_low, result.ci_high)
    if getattr(result, "degenerate_interval", False):
        shown += " degenerate"
    return shown


def text(x: str | float | None) -> str:
    """A table cell as text: strings as they are, counts (integers) in full, other
    numbers through :func:`num`."""
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        return str(int(x))
    return num(None if x is None else float(x))
