"""Moral RolePlay characters: a moral level (1 paragon ... 4 villain), a profile and a scene.

JSON lines or CSV with ``id``, ``level`` (1-4), ``name``, ``profile`` and
``scene``. The bundled characters are written by this project
(``data/CARD.md``). Malformed rows raise :class:`~alignlab.errors.DatasetError`
naming the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import check_unique_ids, data_root, file_in, read_rows, required_text
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.moral_roleplay"
FILES = ("characters.jsonl", "characters.csv")
LEVELS = {1: "paragon", 2: "flawed but good", 3: "egoist", 4: "villain"}


@dataclass(frozen=True)
class Character:
    id: str
    level: int
    name: str
    profile: str
    scene: str
    source: str


def load_characters(data_dir: str | Path | None = None) -> list[Character]:
    """The characters of ``data_dir`` (a file or its folder), or the bundled ones.

    Raises:
        DatasetError: a missing field, a level outside 1-4, a duplicate id.
    """
    file = file_in(data_root(data_dir, PACKAGE), FILES, "the moral_roleplay README")
    items = []
    for line_no, row in read_rows(file):
        raw = row.get("level")
        try:
            level = int(str(raw))
        except ValueError:
            level = 0
        if level not in LEVELS:
            raise DatasetError(file, f"must be 1-4, got {raw!r}", line=line_no, field="level")
        items.append(
            Character(
                id=required_text(row, "id", file, line_no),
                level=level,
                name=required_text(row, "name", file, line_no),
                profile=required_text(row, "profile", file, line_no),
                scene=required_text(row, "scene", file, line_no),
                source=f"{file.name}:{line_no}",
            )
        )
    check_unique_ids(file, items)
    return items
