"""Contextual harm prompts: the bundled set and user sets in the documented layout
(``prompts.jsonl`` or ``.csv``: ``id``, ``prompt``, ``category``, ``context``, optional
``system``; see ``data/CARD.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import check_unique_ids, data_root, file_in, read_rows, required_text

PACKAGE = "alignlab.benchmarks.contextual_harm"
FILES = ("prompts.jsonl", "prompts.csv")


@dataclass(frozen=True)
class HarmPrompt:
    """A harmful request, its harm category and the context it is set in."""

    id: str
    prompt: str
    category: str
    context: str
    system: str = ""
    source: str = ""


def load_harm_prompts(data_dir: str | Path | None = None) -> list[HarmPrompt]:
    """The prompts (bundled, or a user's file or folder in the documented layout).

    Raises:
        DatasetError: the file is missing, a required field is empty, or ids repeat.
    """
    file = file_in(data_root(data_dir, PACKAGE), FILES, f"data/CARD.md of {PACKAGE}")
    items = [
        HarmPrompt(
            id=required_text(row, "id", file, line),
            prompt=required_text(row, "prompt", file, line),
            category=required_text(row, "category", file, line),
            context=required_text(row, "context", file, line),
            system=str(row.get("system") or "").strip(),
            source=f"{file}:{line}",
        )
        for line, row in read_rows(file)
    ]
    check_unique_ids(file, items)
    return items
