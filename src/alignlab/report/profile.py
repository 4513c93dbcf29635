"""The value profile at the top of the report: a parallel-coordinates chart over the families.

One vertical axis per family (its headline metric, on its own scale, better
up: a lower-is-better metric's axis is flipped), one line per model (and per
intervention, dashed), each point with its 95% CI as a vertical bar and the
family's chance level as a black dashed tick. A point whose CI includes
chance is drawn hollow. Each axis label links to the family's part of the
page. This module computes the geometry only; the SVG markup is in
``templates/partials/profile_chart.html.j2``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from alignlab.report import format as fmt
from alignlab.report.results import MetricResult

WIDTH = 1000
HEIGHT = 222
_TOP, _BOTTOM, _LEFT, _RIGHT = 44, 176, 70, 70
# Label width in characters per unit of axis spacing (13 px bold text is ~7.5 px a character).
_CHARS_PER_UNIT = 1 / 7.5


@dataclass(frozen=True)
class Axis:
    """One family's axis: where it is, its label and link, and its scale's end labels."""

    x: float
    title: str
    """The label shown (shortened to the space between axes); ``full_title`` is the tooltip."""
    full_title: str
    metric: str
    href: str
    top_label: str
    bottom_label: str
    chance_y: float | None


@dataclass(frozen=True)
class Point:
    """One headline value on an axis, with its CI and a tooltip."""

    x: float
    y: float
    low_y: float | None
    high_y: float | None
    hollow: bool
    tooltip: str


@dataclass(frozen=True)
class Series:
    """One model (with one intervention): colour, dash, points; split where one is missing."""

    label: str
    colour: str
    dashed: bool
    points: tuple[Point, ...]
    segments: tuple[str, ...]
    """SVG ``points`` attributes of the polyline pieces between consecutive present axes."""


@dataclass(frozen=True)
class ProfileChart:
    """Everything the template draws."""

    width: int
    height: int
    top: int
    bottom: int
    axes: tuple[Axis, ...]
    series: tuple[Series, ...]
    legend: tuple[Series, ...] = field(default=())


@dataclass(frozen=True)
class FamilyLine:
    """A family's headline rows (one per model and intervention) and where its details are."""

    title: str
    anchor: str
    rows: Sequence[MetricResult]


def _scale(rows: Sequence[MetricResult]) -> tuple[float, float]:
    """The axis range: [0, 1] when every value, CI end and chance lies in it, else padded."""
    values = [
        v
        for r in rows
        for v in (r.value, r.ci_low, r.ci_high, r.chance if r.chance is not None else math.nan)
        if math.isfinite(v)
    ]
    if not values:
        return (0.0, 1.0)
    if all(0.0 <= v <= 1.0 for v in values):
        return (0.0, 1.0)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.1 or 1.0
    return (lo - pad, hi + pad)


def profile_chart(lines: Sequence[FamilyLine], colours: dict[str, str]) -> ProfileChart | None:
    """The chart of ``lines`` (one per family), or None when no family has a finite value."""
    lines = [line for line in lines if any(math.isfinite(r.value) for r in line.rows)]
    if not lines:
        return None
    n = len(lines)
    span = WIDTH - _LEFT - _RIGHT
    xs = [WIDTH / 2] if n == 1 else [_LEFT + i * span / (n - 1) for i in range(n)]
    axes: list[Axis] = []
    placed: dict[tuple[str, str], list[tuple[int, Point]]] = {}
    for i, (line, x) in enumerate(zip(lines, xs, strict=True)):
        lo, hi = _scale(line.rows)
        up = all(r.higher_is_better for r in line.rows)
        y_of = _y_function(lo, hi, up)
        chances = {r.chance for r in line.rows if r.chance is not None and math.isfinite(r.chance)}
        room = max(6, int((span / max(1, n - 1) if n > 1 else WIDTH) * _CHARS_PER_UNIT))
        metric = line.rows[0].metric if up else f"{line.rows[0].metric} (lower better)"
        axes.append(
            Axis(
                x=x,
                title=_shorten(line.title, room),
                full_title=f"{line.title}: {line.rows[0].metric_label}",
                metric=_shorten(metric, int(room * 1.25)),
                href=f"#{line.anchor}",
                top_label=fmt.num(hi if up else lo),
                bottom_label=fmt.num(lo if up else hi),
                chance_y=y_of(chances.pop()) if len(chances) == 1 else None,
            )
        )
        for r in line.rows:
            if not math.isfinite(r.value):
                continue
            has_ci = math.isfinite(r.ci_low) and math.isfinite(r.ci_high)
            near = " · ≈ chance (95% CI includes it)" if r.ci_includes_chance else ""
            tooltip = (
                f"{line.title} · {r.model}"
                + ("" if r.intervention == "none" else f" + {r.intervention}")
                + f"\n{r.metric_label} {fmt.num(r.value)} {fmt.interval(r.ci_low, r.ci_high)}"
                + f", chance {fmt.num(r.chance)}, n = {r.n}{near}"
            )
            point = Point(
                x=x,
                y=y_of(r.value),
                low_y=y_of(r.ci_low) if has_ci else None,
                high_y=y_of(r.ci_high) if has_ci else None,
                hollow=r.ci_includes_chance,
                tooltip=tooltip,
            )
            placed.setdefault((r.model, r.intervention), []).append((i, point))
    series = []
    for (model, intervention), found in placed.items():
        segments: list[list[Point]] = []
        previous = -2
        for i, point in found:
            if i != previous + 1:
                segments.append([])
            segments[-1].append(point)
            previous = i
        series.append(
            Series(
                label=model if intervention == "none" else f"{model} + {intervention}",
                colour=colours.get(model, "#1f77b4"),
                dashed=intervention != "none",
                points=tuple(p for _, p in found),
                segments=tuple(
                    " ".join(f"{p.x:.1f},{p.y:.1f}" for p in seg)
                    for seg in segments
                    if len(seg) > 1
                ),
            )
        )
    height = HEIGHT + 14 * ((len(series) - 1) // 4)  # the legend's rows, four series a row
    return ProfileChart(WIDTH, height, _TOP, _BOTTOM, tuple(axes), tuple(series), tuple(series))


def _shorten(text: str, room: int) -> str:
    """``text`` within ``room`` characters: a parenthesised part dropped first, then cut with …."""
    if len(text) <= room:
        return text
    text = text.split(" (")[0]
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _y_function(lo: float, hi: float, up: bool) -> Callable[[float], float]:
    def y_of(v: float) -> float:
        share = (v - lo) / (hi - lo) if hi > lo else 0.5
        share = min(1.0, max(0.0, share))
        if not up:
            share = 1.0 - share
        return _BOTTOM - share * (_BOTTOM - _TOP)

    return y_of
