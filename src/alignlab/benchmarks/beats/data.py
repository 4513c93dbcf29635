"""BEATS-style probes: the bundled 40 and user sets (``probes.jsonl`` or ``.csv`` with ``id``,
``dimension``, ``prompt``; see ``data/CARD.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import check_unique_ids, data_root, file_in, read_rows, required_text

PACKAGE = "alignlab.benchmarks.beats"
FILES = ("probes.jsonl", "probes.csv")


@dataclass(frozen=True)
class Probe:
    """One open question and the bias dimension it probes."""

    id: str
    dimension: str
    prompt: str
    source: str = ""


def load_probes(data_dir: str | Path | None = None) -> list[Probe]:
    """The probes (bundled, or a user's file or folder).

    Raises:
        DatasetError: the file is missing, a field is empty, or ids repeat.
    """
    file = file_in(data_root(data_dir, PACKAGE), FILES, f"data/CARD.md of {PACKAGE}")
    items = [
        Probe(
            id=required_text(row, "id", file, line),
            dimension=required_text(row, "dimension", file, line),
            prompt=required_text(row, "prompt", file, line),
            source=f"{file}:{line}",
        )
        for line, row in read_rows(file)
    ]
    check_unique_ids(file, items)
    return items
