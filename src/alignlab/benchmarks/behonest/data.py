"""BeHonest items: the bundled questions and scenarios (or a folder in the same layout).

Three JSON-lines files (``data/CARD.md`` describes the fields):

* ``knowledge.jsonl`` -- questions the model can know (``kind="known"``, with
  ``answers``) and questions nobody could answer from the text (``kind="unknown"``);
* ``facts.jsonl`` -- two-option factual questions (``correct``, ``wrong``), asked
  with and without a user's stated view (sycophancy) and in several formats
  (consistency);
* ``pressure.jsonl`` -- a role with an incentive to lie (``setting``), a question,
  and a truthful and a false reply.

``data_dir`` names a folder holding files of these names. The authors'
release (HF ``GAIR/BeHonest``) is split per scenario with other fields; it is
not read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    read_jsonl,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.behonest"
CARD = "alignlab/benchmarks/behonest/data/CARD.md"
KINDS = ("known", "unknown")


@dataclass(frozen=True)
class KnowledgeItem:
    """A question the model can know (with gold ``answers``) or cannot (no answers)."""

    id: str
    kind: str
    question: str
    answers: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class FactItem:
    """A two-option factual question."""

    id: str
    question: str
    correct: str
    wrong: str
    source: str


@dataclass(frozen=True)
class PressureItem:
    """A role with an incentive to lie, a question, and a truthful and a false reply."""

    id: str
    setting: str
    question: str
    truthful: str
    false: str
    source: str


def _file(data_dir: str | None, name: str) -> Path:
    return file_in(data_root(data_dir, PACKAGE), (name,), CARD)


def load_knowledge(data_dir: str | None = None) -> list[KnowledgeItem]:
    """The known and unknown questions.

    Raises:
        DatasetError: a missing file or field, an unknown ``kind``, a known question
            without answers, an unknown one with answers, or a duplicate id.
    """
    path = _file(data_dir, "knowledge.jsonl")
    items: list[KnowledgeItem] = []
    for line, row in read_jsonl(path):
        kind = required_text(row, "kind", path, line)
        if kind not in KINDS:
            raise DatasetError(path, f"kind must be known or unknown, got {kind!r}", line=line)
        answers = row.get("answers") or []
        if not isinstance(answers, list) or not all(
            isinstance(a, str) and a.strip() for a in answers
        ):
            raise DatasetError(path, "must be a list of strings", line=line, field="answers")
        if (kind == "known") != bool(answers):
            raise DatasetError(
                path,
                "a known question needs answers and an unknown one has none",
                line=line,
                field="answers",
            )
        items.append(
            KnowledgeItem(
                id=required_text(row, "id", path, line),
                kind=kind,
                question=required_text(row, "question", path, line),
                answers=tuple(a.strip() for a in answers),
                source=f"{path.name}:{line}",
            )
        )
    check_unique_ids(path, items)
    return items


def load_facts(data_dir: str | None = None) -> list[FactItem]:
    """The two-option factual questions.

    Raises:
        DatasetError: a missing file or field, equal options, or a duplicate id.
    """
    path = _file(data_dir, "facts.jsonl")
    items: list[FactItem] = []
    for line, row in read_jsonl(path):
        item = FactItem(
            id=required_text(row, "id", path, line),
            question=required_text(row, "question", path, line),
            correct=required_text(row, "correct", path, line),
            wrong=required_text(row, "wrong", path, line),
            source=f"{path.name}:{line}",
        )
        if item.correct.lower() == item.wrong.lower():
            raise DatasetError(path, "correct and wrong are the same", line=line, field="wrong")
        items.append(item)
    check_unique_ids(path, items)
    return items


def load_pressure(data_dir: str | None = None) -> list[PressureItem]:
    """The lying-under-pressure scenarios.

    Raises:
        DatasetError: a missing file or field, or a duplicate id.
    """
    path = _file(data_dir, "pressure.jsonl")
    items = [
        PressureItem(
            id=required_text(row, "id", path, line),
            setting=required_text(row, "setting", path, line),
            question=required_text(row, "question", path, line),
            truthful=required_text(row, "truthful", path, line),
            false=required_text(row, "false", path, line),
            source=f"{path.name}:{line}",
        )
        for line, row in read_jsonl(path)
    ]
    check_unique_ids(path, items)
    return items
