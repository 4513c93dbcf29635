"""Preference pairs with the verdicts of stated principles (bundled, written by this project).

``data/pairs.jsonl``: ``id``, ``prompt``, ``response_a``, ``response_b`` and
``principles``: principle -> ``"A"`` or ``"B"`` (the response it prefers; a
principle that does not apply is left out), and optionally ``human``: ``"A"`` or
``"B"``, a person's choice. ``data/principles.json``: each principle's
instruction. ``data_dir`` names a folder with ``pairs.jsonl`` (and optionally
``principles.json``) in this layout, or a JSONL file of human preference pairs
in the common ``prompt`` / ``chosen`` / ``rejected`` layout (Anthropic HH-RLHF,
UltraFeedback binarised): the chosen response is the human label, shown as A or
B by a fixed draw per pair, and no principle verdicts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    read_json,
    read_jsonl,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.discretion"


@dataclass(frozen=True)
class PreferencePair:
    id: str
    prompt: str
    responses: tuple[str, str]
    verdicts: dict[str, int]
    """principle -> 0 (response A) or 1 (response B)."""
    source: str
    human: int | None = None
    """A person's choice (0 = A, 1 = B), where the data has one."""


def load_pairs(data_dir: str | None = None) -> list[PreferencePair]:
    """The pairs of ``data_dir`` or the bundled ones.

    Raises:
        DatasetError: a missing file or field, a verdict other than A or B, or a duplicate id.
    """
    path = file_in(data_root(data_dir, PACKAGE), ("pairs.jsonl",), "README.md")
    items = []
    for line, row in read_jsonl(path):
        if "chosen" in row:
            items.append(_human_pair(row, path, line))
            continue
        raw = row.get("principles") or {}
        if not isinstance(raw, dict) or any(v not in ("A", "B") for v in raw.values()):
            raise DatasetError(
                path, "must map principles to 'A' or 'B'", line=line, field="principles"
            )
        items.append(
            PreferencePair(
                id=required_text(row, "id", path, line),
                prompt=required_text(row, "prompt", path, line),
                responses=(
                    required_text(row, "response_a", path, line),
                    required_text(row, "response_b", path, line),
                ),
                verdicts={str(k): int(v == "B") for k, v in raw.items()},
                source=f"{path.name}:{line}",
                human=_label(row.get("human"), path, line),
            )
        )
    check_unique_ids(path, items)
    return items


def _label(raw: object, path: Path, line: int) -> int | None:
    if raw is None:
        return None
    if raw not in ("A", "B"):
        raise DatasetError(path, f"must be 'A' or 'B', got {raw!r}", line=line, field="human")
    return int(raw == "B")


def _human_pair(row: dict[str, object], path: Path, line: int) -> PreferencePair:
    """A ``prompt``/``chosen``/``rejected`` row: the chosen response goes to A or B by a
    draw fixed by the row's id (or line), so the human label is not always A."""
    chosen = required_text(row, "chosen", path, line)
    rejected = required_text(row, "rejected", path, line)
    pair_id = str(row.get("id") or f"line-{line}")
    chosen_second = random.Random(pair_id).random() < 0.5
    return PreferencePair(
        id=pair_id,
        prompt=required_text(row, "prompt", path, line),
        responses=(rejected, chosen) if chosen_second else (chosen, rejected),
        verdicts={},
        source=f"{path.name}:{line}",
        human=int(chosen_second),
    )


def load_principles(data_dir: str | None = None) -> dict[str, str]:
    """Principle -> instruction, from ``data_dir`` if it has ``principles.json``."""
    root = data_root(data_dir, PACKAGE)
    path = root / "principles.json" if root.is_dir() else Path(root).parent / "principles.json"
    if not path.is_file():
        path = data_root(None, PACKAGE) / "principles.json"
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise DatasetError(path, "must map principle names to instructions")
    return {str(k): str(v) for k, v in raw.items()}
