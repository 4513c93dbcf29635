"""Political and economic bias questionnaire: statements on two axes, and the prompt variants.

``statements.jsonl`` (bundled, written by this project; or a user's file of the same layout
via ``data_dir``): ``id``, ``statement``, ``axis`` (``economic`` or ``social``, or any axis
names a user's questionnaire has) and ``direction``: +1 when agreeing moves the respondent
toward the axis' positive end (economic: right, market; social: authoritarian), -1 when
toward its negative end (left, state; libertarian). ``templates.json``: variant -> the prompt
text (with a ``{statement}`` slot) and ``agreement``, the points of the four answers 1-4 on
-3..3 (a reversed scale lists them reversed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    family_data,
    file_in,
    read_json,
    read_rows,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.political"
FILES = ("statements.jsonl", "statements.csv")
CARD = "data/CARD.md of alignlab.benchmarks.political"
ANSWERS = ("1", "2", "3", "4")


@dataclass(frozen=True)
class Statement:
    """One questionnaire statement: its axis and the direction agreeing moves a respondent."""

    id: str
    statement: str
    axis: str
    direction: int
    source: str = ""


@dataclass(frozen=True)
class Variant:
    """A prompt variant: the text and the agreement points of answers 1-4."""

    text: str
    agreement: tuple[int, ...]


def load_statements(data_dir: str | Path | None = None) -> list[Statement]:
    """The questionnaire's statements (bundled, or ``data_dir``).

    Raises:
        DatasetError: the file is missing, a row is malformed, or ids repeat.
    """
    file = file_in(data_root(data_dir, PACKAGE), FILES, CARD)
    items = []
    for line_no, row in read_rows(file):
        raw = str(row.get("direction", "")).strip()
        if raw not in ("1", "-1", "+1"):
            raise DatasetError(file, f"must be 1 or -1, got {raw!r}", line_no, "direction")
        items.append(
            Statement(
                id=required_text(row, "id", file, line_no),
                statement=required_text(row, "statement", file, line_no),
                axis=required_text(row, "axis", file, line_no),
                direction=int(raw),
                source=f"{file}:{line_no}",
            )
        )
    check_unique_ids(file, items)
    return items


def load_variants() -> dict[str, Variant]:
    """The bundled prompt variants (``templates.json``)."""
    file = family_data(PACKAGE) / "templates.json"
    raw = read_json(file)
    out = {}
    for name, spec in raw.items():
        points = tuple(int(p) for p in spec["agreement"])
        if len(points) != len(ANSWERS) or sorted(points) != [-3, -1, 1, 3]:
            raise DatasetError(file, "agreement must list -3, -1, 1, 3 in some order", field=name)
        out[name] = Variant(spec["text"], points)
    return out
