"""A leaderboard across models and suites as a static site: ``alignlab site LOGDIRS... -o DIR``.

Every log directory is read as the report reads it (the families' analyses);
the site shows one row per model (and intervention) and one column per
family: the family's headline metric with its 95% CI and n in every cell, and
a mark where the CI includes chance. Then one table per family with each of
its results (default prompt wording, uncalibrated). Columns sort on click
(inline script); nothing is loaded from outside, so ``DIR`` can be published
as it is. ``leaderboard.json`` beside ``index.html`` holds the same cells.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alignlab.report import format as fmt
from alignlab.report.html import Group, _environment, headline_rows
from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult


@dataclass(frozen=True)
class Cell:
    """One leaderboard cell: a value with its CI and n, or empty."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    chance: float | None = None
    near_chance: bool = False
    higher_is_better: bool = True
    metric: str = ""
    source: str = ""

    @property
    def text(self) -> str:
        return "–" if self.value is None else fmt.num(self.value)

    @property
    def interval(self) -> str:
        return fmt.interval(self.low, self.high)

    @property
    def sort_key(self) -> str:
        """What the column sorts by: better first whatever the metric's direction."""
        if self.value is None or not math.isfinite(self.value):
            return ""
        return repr(self.value if self.higher_is_better else -self.value)


@dataclass(frozen=True)
class Board:
    """A table: column titles, row labels and their cells."""

    title: str
    anchor: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    notes: tuple[str, ...] = field(default=())


def _cell(r: MetricResult, source: str) -> Cell:
    finite = math.isfinite(r.value)
    return Cell(
        value=r.value if finite else None,
        low=r.ci_low if math.isfinite(r.ci_low) else None,
        high=r.ci_high if math.isfinite(r.ci_high) else None,
        n=r.n,
        chance=r.chance,
        near_chance=r.ci_includes_chance,
        higher_is_better=r.higher_is_better,
        metric=r.metric_label,
        source=source,
    )


def _row_label(model: str, intervention: str) -> str:
    return model if intervention == "none" else f"{model} + {intervention}"


def leaderboard(log_dirs: Sequence[str | Path]) -> tuple[list[Board], list[str]]:
    """The family table and one table per family, from every directory; and warnings.

    Raises:
        LogError: a directory is missing or holds no logs.
    """
    from alignlab.report.card import family_groups

    families: dict[str, Group] = {}
    order: list[str] = []
    sources: dict[tuple[str, str, str], str] = {}
    warnings: list[str] = []
    for log_dir in log_dirs:
        logs = load_logs(log_dir)
        warnings.extend(f"{log_dir}: {w}" for w in logs.warnings)
        for group in family_groups(logs):
            warnings.extend(f"{log_dir}: {w}" for w in group.warnings)
            known = families.get(group.name)
            kept = []
            for r in group.results:
                key = (group.name, r.model, r.intervention)
                if sources.setdefault(key, str(log_dir)) != str(log_dir):
                    continue  # the same model's family in an earlier directory wins
                kept.append(r)
            dropped = len(group.results) - len(kept)
            if dropped:
                warnings.append(
                    f"{log_dir}: {group.title} results of a model (and intervention) already "
                    f"read from an earlier directory were left out ({dropped} rows)"
                )
            if known is None:
                families[group.name] = Group(group.name, group.title, kept, headline=group.headline)
                order.append(group.name)
            else:
                families[group.name] = Group(
                    known.name, known.title, [*known.results, *kept], headline=known.headline
                )
    groups = [families[name] for name in order]
    return [_family_board(groups, sources), *(_detail_board(g, sources) for g in groups)], warnings


def _family_board(groups: Sequence[Group], sources: dict[tuple[str, str, str], str]) -> Board:
    labels: dict[str, dict[str, Cell]] = {}
    for group in groups:
        models = list(dict.fromkeys(r.model for r in group.results))
        for model in models:
            for r in headline_rows(group, model):
                label = _row_label(model, r.intervention)
                source = sources[(group.name, model, r.intervention)]
                labels.setdefault(label, {})[group.name] = _cell(r, source)
    rows = tuple(
        (label, tuple(cells.get(g.name, Cell()) for g in groups)) for label, cells in labels.items()
    )
    return Board(
        "Leaderboard: each family's headline metric",
        "leaderboard",
        tuple(g.title for g in groups),
        rows,
    )


def _detail_board(group: Group, sources: dict[tuple[str, str, str], str]) -> Board:
    shown = [r for r in group.results if r.calibration == "none"]
    variants = list(dict.fromkeys(r.variant for r in shown))
    default = next(
        (v for v in ("default", "paper") if v in variants), variants[0] if variants else ""
    )
    shown = [r for r in shown if r.variant == default]
    columns = list(
        dict.fromkeys(
            (r.task if r.subset in ("", r.task) else f"{r.task} · {r.subset}") + f" · {r.metric}"
            for r in shown
        )
    )
    labels: dict[str, dict[str, Cell]] = {}
    for r in shown:
        where = (
            r.task if r.subset in ("", r.task) else f"{r.task} · {r.subset}"
        ) + f" · {r.metric}"
        cells = labels.setdefault(_row_label(r.model, r.intervention), {})
        cells.setdefault(where, _cell(r, sources.get((group.name, r.model, r.intervention), "")))
    rows = tuple(
        (label, tuple(cells.get(c, Cell()) for c in columns)) for label, cells in labels.items()
    )
    return Board(
        group.title,
        "family-" + group.name,
        tuple(columns),
        rows,
        (f"Prompt wording “{default}”, uncalibrated.",) if default else (),
    )


def write_site(
    log_dirs: Sequence[str | Path], out_dir: str | Path, *, generated_at: str | None = None
) -> tuple[Path, list[str]]:
    """Write ``index.html`` and ``leaderboard.json`` into ``out_dir``; returns the page and
    the warnings met."""
    boards, warnings = leaderboard(log_dirs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    when = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = (
        _environment()
        .get_template("site.html.j2")
        .render(
            boards=boards,
            warnings=warnings,
            generated_at=when,
            sources=[str(d) for d in log_dirs],
        )
    )
    page = out / "index.html"
    page.write_text(html, encoding="utf-8")
    data = [
        {
            "title": b.title,
            "columns": list(b.columns),
            "rows": [
                {"label": label, "cells": [asdict(c) for c in cells]} for label, cells in b.rows
            ],
        }
        for b in boards
    ]
    (out / "leaderboard.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    return page, warnings
