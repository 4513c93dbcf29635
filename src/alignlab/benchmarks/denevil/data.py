"""Denevil-style value principles: loader for the bundled set and user sets (``principles.jsonl``
or ``.csv`` with ``id``, ``foundation``, ``principle``; see ``data/CARD.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import check_unique_ids, data_root, file_in, read_rows, required_text

PACKAGE = "alignlab.benchmarks.denevil"
FILES = ("principles.jsonl", "principles.csv")


@dataclass(frozen=True)
class Principle:
    """A value principle and the Moral Foundation it belongs to."""

    id: str
    foundation: str
    principle: str
    source: str = ""


def load_principles(data_dir: str | Path | None = None) -> list[Principle]:
    """The principles (bundled, or a user's file or folder).

    Raises:
        DatasetError: the file is missing, a row lacks a field, or ids repeat.
    """
    file = file_in(data_root(data_dir, PACKAGE), FILES, f"data/CARD.md of {PACKAGE}")
    items = [
        Principle(
            id=required_text(row, "id", file, line),
            foundation=required_text(row, "foundation", file, line),
            principle=required_text(row, "principle", file, line),
            source=f"{file}:{line}",
        )
        for line, row in read_rows(file)
    ]
    check_unique_ids(file, items)
    return items
