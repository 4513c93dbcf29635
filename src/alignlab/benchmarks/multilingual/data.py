"""Multilingual red-teaming prompts: the bundled set, and a loader for the Aya Red-teaming layout.

The published layout (Aya Red-teaming, Aakanksha et al., "The Multilingual
Alignment Prism", 2024; Apache-2.0): one file per language (JSON lines,
Parquet or CSV; a folder holding several is read whole) whose rows have

* ``prompt``: the red-teaming prompt in its language;
* ``language``: the language's name (``English``, ``Hindi``, ...);
* ``harm_category``: the harm categories, a JSON list written as text
  (``'["Hate Speech", "Profanity"]'``) or a plain string;
* ``global_or_local``: ``global`` (harmful everywhere) or ``local`` (harmful
  in the culture of the language);
* ``literal_translation``, ``semantic_translation``, ``explanation``: the
  English renderings and the annotator's note (kept, not needed).

Rows have no id in the published files: an item's id is its language and
its line (``english:12``) unless the row has an ``id``. The bundled
``data/prompts.jsonl`` uses the same fields, written by this project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import data_root, read_rows, refuse_hub, required_text
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.multilingual"
SCOPES = ("global", "local")
SUFFIXES = (".jsonl", ".parquet", ".csv", ".tsv")


@dataclass(frozen=True)
class RedTeamPrompt:
    """One red-teaming prompt with its language and harm labels."""

    id: str
    prompt: str
    language: str
    scope: str
    categories: tuple[str, ...]
    english: str
    source: str


def _categories(raw: object, file: Path, line: int) -> tuple[str, ...]:
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, str) and raw.strip().startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as ex:
            raise DatasetError(
                file, f"not a JSON list: {ex}", line=line, field="harm_category"
            ) from ex
    elif isinstance(raw, str) and raw.strip():
        items = [raw]
    else:
        raise DatasetError(file, f"missing or empty: {raw!r}", line=line, field="harm_category")
    return tuple(str(c).strip() for c in items if str(c).strip())


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise DatasetError(root, "file or directory not found")
    found = sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if not found:
        raise DatasetError(root, f"holds no {', '.join(SUFFIXES)} files in the Aya layout")
    return found


def load_prompts(path: str | Path | None = None) -> list[RedTeamPrompt]:
    """The prompts in ``path`` (a file or a folder in the Aya layout), or the bundled ones.

    Raises:
        DatasetError: a missing file, a row without ``prompt``/``language``, an
            unknown ``global_or_local``, or two rows with one id.
    """
    refuse_hub(path, "download CohereForAI/aya_redteaming and pass its folder as data_dir")
    prompts: list[RedTeamPrompt] = []
    seen: dict[str, str] = {}
    for file in _files(data_root(path, PACKAGE)):
        for line, row in read_rows(file):
            language = required_text(row, "language", file, line)
            scope = required_text(row, "global_or_local", file, line).lower()
            if scope not in SCOPES:
                raise DatasetError(
                    file, f"must be global or local, got {scope!r}", line=line,
                    field="global_or_local",
                )  # fmt: skip
            text = required_text(row, "prompt", file, line)
            item_id = str(row.get("id") or f"{language.lower()}:{line}")
            if item_id in seen:
                raise DatasetError(file, f"duplicate id '{item_id}' (first at {seen[item_id]})",
                                   line=line, field="id")  # fmt: skip
            seen[item_id] = f"{file}:{line}"
            english = row.get("literal_translation") or row.get("semantic_translation") or text
            prompts.append(
                RedTeamPrompt(
                    id=item_id,
                    prompt=text,
                    language=language,
                    scope=scope,
                    categories=_categories(row.get("harm_category"), file, line),
                    english=str(english).strip(),
                    source=f"{file}:{line}",
                )
            )
    return prompts
