"""MoReBench dilemmas with their rubrics: the bundled JSONL, or the authors' CSV.

Bundled (``data/dilemmas.jsonl``): ``id``, ``dilemma``, ``source``
(daily_dilemmas / ai_risk / expert_case), ``type``, ``role`` (ai_advisor /
ai_agent) and ``rubric``: a list of ``{id, title, weight, dimension}``.
``data/theories.json`` holds the five frameworks of MoReBench-Theory (title,
definition, framework criteria).

Public (HF ``morebench/morebench``, ``morebench_public.csv``; gated): columns
``TASK_ID``, ``DILEMMA``, ``DILEMMA_SOURCE``, ``DILEMMA_TYPE``, ``ROLE_DOMAIN``,
``RUBRIC`` (a JSON list of ``{id, title, weight, annotations:
{rubric_dimension}}``) and, in the Theory file, ``THEORY``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    check_unique_ids,
    family_data,
    read_json,
    read_rows,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.morebench"
DIMENSIONS = (
    "identifying",
    "logical_process",
    "clear_process",
    "helpful_outcome",
    "harmless_outcome",
)
PUBLIC_FILES = ("morebench_public.csv", "morebench_theory.csv")


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion: include it (weight > 0) or avoid it (weight < 0)."""

    id: str
    title: str
    weight: int
    dimension: str


@dataclass(frozen=True)
class Dilemma:
    """A scenario and its rubric (``theory`` set for MoReBench-Theory items)."""

    id: str
    dilemma: str
    source: str
    type: str
    role: str
    rubric: tuple[Criterion, ...]
    source_line: str
    theory: str | None = None


@dataclass(frozen=True)
class Theory:
    """A normative framework of MoReBench-Theory: its definition and its own criteria."""

    name: str
    title: str
    definition: str
    criteria: tuple[Criterion, ...]


def _criterion(raw: Any, path: Path, line: int, index: int) -> Criterion:
    if not isinstance(raw, dict):
        raise DatasetError(path, f"criterion {index} is not an object", line=line, field="rubric")
    dimension = raw.get("dimension") or (raw.get("annotations") or {}).get("rubric_dimension")
    title = raw.get("title")
    weight = raw.get("weight")
    if not isinstance(title, str) or not title.strip():
        raise DatasetError(path, f"criterion {index} has no title", line=line, field="rubric")
    try:
        weight = int(weight)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DatasetError(
            path, f"criterion {index} has no integer weight", line=line, field="rubric"
        ) from None
    if weight == 0:
        raise DatasetError(path, f"criterion {index} has weight 0", line=line, field="rubric")
    return Criterion(
        id=str(raw.get("id") or f"c{index + 1}"),
        title=title.strip(),
        weight=weight,
        dimension=str(dimension or "unspecified").strip().lower().replace(" ", "_"),
    )


def _rubric(raw: Any, path: Path, line: int) -> tuple[Criterion, ...]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise DatasetError(path, f"not JSON: {error}", line=line, field="RUBRIC") from None
    if not isinstance(raw, list) or not raw:
        raise DatasetError(path, "must be a non-empty list of criteria", line=line, field="rubric")
    return tuple(_criterion(c, path, line, i) for i, c in enumerate(raw))


def _find(data_dir: str | None) -> Path:
    if data_dir is None:
        return family_data(PACKAGE) / "dilemmas.jsonl"
    root = Path(data_dir).expanduser()
    if root.is_file():
        return root
    for name in (*PUBLIC_FILES, "dilemmas.jsonl"):
        if (root / name).is_file():
            return root / name
    raise DatasetError(
        root, f"expected {' or '.join((*PUBLIC_FILES, 'dilemmas.jsonl'))} (see README.md)"
    )


def _dilemma(row: dict[str, Any], path: Path, line: int) -> Dilemma:
    """One row, in the authors' columns (``TASK_ID`` ...) or the bundled fields."""
    public = "TASK_ID" in row

    def name(bundled: str, published: str) -> str:
        return published if public else bundled

    def optional(bundled: str, published: str, default: str) -> str:
        value = row.get(name(bundled, published))
        return str(value).strip() if value else default

    return Dilemma(
        id=required_text(row, name("id", "TASK_ID"), path, line),
        dilemma=required_text(row, name("dilemma", "DILEMMA"), path, line),
        source=optional("source", "DILEMMA_SOURCE", "unknown"),
        type=optional("type", "DILEMMA_TYPE", "short_case"),
        role=optional("role", "ROLE_DOMAIN", "ai_advisor"),
        rubric=_rubric(row.get(name("rubric", "RUBRIC")), path, line),
        source_line=f"{path.name}:{line}",
        theory=row.get(name("theory", "THEORY")) or None,
    )


def load_dilemmas(data_dir: str | None = None) -> list[Dilemma]:
    """The dilemmas of ``data_dir`` (the authors' CSV or our JSONL), or the bundled ones.

    Raises:
        DatasetError: a missing file or field, a malformed rubric, or a duplicate id.
    """
    path = _find(data_dir)
    items = [_dilemma(row, path, line) for line, row in read_rows(path)]
    check_unique_ids(path, [_Ref(d.id, d.source_line) for d in items])
    return items


@dataclass(frozen=True)
class _Ref:
    id: str
    source: str


def load_theories() -> dict[str, Theory]:
    """The five frameworks of MoReBench-Theory, by name."""
    path = family_data(PACKAGE) / "theories.json"
    raw = read_json(path)
    return {
        name: Theory(
            name=name,
            title=str(spec["title"]),
            definition=str(spec["definition"]),
            criteria=tuple(
                Criterion(f"{name}-{i + 1}", str(c["title"]), int(c["weight"]), "theory")
                for i, c in enumerate(spec["criteria"])
            ),
        )
        for name, spec in raw.items()
    }


def theory_items(dilemmas: list[Dilemma], theories: dict[str, Theory]) -> list[Dilemma]:
    """MoReBench-Theory items from the bundled dilemmas: dilemma ``i`` is reasoned under
    framework ``i mod 5``; its rubric is the framework's criteria, the dilemma's
    identifying criteria and its clear-decision criteria. Items that already name a
    theory (the authors' Theory file) are kept as they are."""
    names = list(theories)
    out = []
    for i, d in enumerate(dilemmas):
        if d.theory is not None:
            out.append(d)
            continue
        theory = theories[names[i % len(names)]]
        kept = tuple(c for c in d.rubric if c.dimension in ("identifying", "clear_process"))
        out.append(
            Dilemma(
                id=f"{d.id}-{theory.name}",
                dilemma=d.dilemma,
                source=d.source,
                type=d.type,
                role=d.role,
                rubric=(*theory.criteria, *kept),
                source_line=d.source_line,
                theory=theory.name,
            )
        )
    return out
