"""BeHonest items: the bundled questions and scenarios (or a folder in the same layout).

Three JSON-lines files (``data/CARD.md`` describes the fields):

* ``knowledge.jsonl`` -- questions the model can know (``kind="known"``, with
  ``answers``) and questions nobody could answer from the text (``kind="unknown"``);
* ``facts.jsonl`` -- two-option factual questions (``correct``, ``wrong``), asked
  with and without a user's stated view (sycophancy) and in several formats
  (consistency);
* ``pressure.jsonl`` -- a role with an incentive to lie (``setting``), a question,
  and a truthful and a false reply;
* ``burying.jsonl`` -- a role that knows an inconvenient fact, a question it is
  relevant to, a reply that states it (``forthright``) and a reply that is not
  false but leaves it out (``burying``).

``data_dir`` names a folder holding files of these names, or the root of the
authors' release (HF ``GAIR/BeHonest``: one folder per scenario, each file a
JSON array of objects). From the release, :func:`load_knowledge` reads the
self-knowledge scenarios, ``Unknowns/*.json`` (``id``, ``prompt``) and
``Knowns/*.json`` (``id``, ``prompt``, ``answer``: the gold strings); see
README.md for the scenarios of the release that are not read and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    read_json_array,
    read_jsonl,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.behonest"
CARD = "alignlab/benchmarks/behonest/data/CARD.md"
KINDS = ("known", "unknown")
RELEASE_FOLDERS = {"Knowns": "known", "Unknowns": "unknown"}
"""The release's self-knowledge folders and the kind of question each holds."""


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


@dataclass(frozen=True)
class BuryingItem:
    """A role that knows an inconvenient fact: a reply stating it and one leaving it out."""

    id: str
    setting: str
    question: str
    forthright: str
    burying: str
    source: str


def _file(data_dir: str | None, name: str) -> Path:
    return file_in(data_root(data_dir, PACKAGE), (name,), CARD)


def load_knowledge(data_dir: str | None = None) -> list[KnowledgeItem]:
    """The known and unknown questions.

    Raises:
        DatasetError: a missing file or field, an unknown ``kind``, a known question
            without answers, an unknown one with answers, or a duplicate id.
    """
    root = data_root(data_dir, PACKAGE)
    if any((root / folder).is_dir() for folder in RELEASE_FOLDERS):
        return load_release_knowledge(root)
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


_Role = TypeVar("_Role", PressureItem, BuryingItem)


def _load_roles(
    data_dir: str | None, name: str, make: type[_Role], honest: str, other: str
) -> list[_Role]:
    """Rows of a role file: ``id``, ``setting``, ``question``, the honest reply under
    ``honest`` and the other under ``other`` (which must differ)."""
    path = _file(data_dir, name)
    items: list[_Role] = []
    for line, row in read_jsonl(path):
        fields = {
            key: required_text(row, key, path, line)
            for key in ("id", "setting", "question", honest, other)
        }
        if fields[honest] == fields[other]:
            raise DatasetError(path, "the two replies are the same", line=line, field=other)
        items.append(make(**fields, source=f"{path.name}:{line}"))
    check_unique_ids(path, items)
    return items


def load_pressure(data_dir: str | None = None) -> list[PressureItem]:
    """The lying-under-pressure scenarios.

    Raises:
        DatasetError: a missing file or field, equal replies, or a duplicate id.
    """
    return _load_roles(data_dir, "pressure.jsonl", PressureItem, "truthful", "false")


def load_burying(data_dir: str | None = None) -> list[BuryingItem]:
    """The burying-a-known-fact scenarios.

    Raises:
        DatasetError: a missing file or field, equal replies, or a duplicate id.
    """
    return _load_roles(data_dir, "burying.jsonl", BuryingItem, "forthright", "burying")


def _release_answers(row: dict[str, object], path: Path, line: int) -> tuple[str, ...]:
    raw = row.get("answer")
    if raw is None:
        raise DatasetError(path, "the field is missing", line=line, field="answer")
    values = [raw] if isinstance(raw, str) else raw
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(a, str) and a.strip() for a in values)
    ):
        raise DatasetError(
            path,
            f"must be a gold string or a non-empty list of them, got {raw!r}",
            line=line,
            field="answer",
        )
    return tuple(a.strip() for a in values)


def load_release_knowledge(root: Path) -> list[KnowledgeItem]:
    """BeHonest's self-knowledge scenarios from the authors' release layout.

    ``root/Unknowns/*.json`` and ``root/Knowns/*.json``, each a JSON array of
    objects with ``id`` and ``prompt`` (the question as the model sees it);
    Knowns also carry ``answer``, one gold string or a list of them. Ids are
    prefixed with the folder and file (``Knowns/knowns:7``) because the release
    numbers each file from 1.

    Raises:
        DatasetError: neither folder has a JSON file, or a row lacks a field (file,
            line and field named).
    """
    items: list[KnowledgeItem] = []
    for folder, kind in RELEASE_FOLDERS.items():
        for path in sorted((root / folder).glob("*.json")):
            for line, row in read_json_array(path):
                ident = required_text(row, "id", path, line)
                items.append(
                    KnowledgeItem(
                        id=f"{folder}/{path.stem}:{ident}",
                        kind=kind,
                        question=required_text(row, "prompt", path, line),
                        answers=_release_answers(row, path, line) if kind == "known" else (),
                        source=f"{folder}/{path.name}:{line}",
                    )
                )
    if not items:
        raise DatasetError(root, "no JSON file under Knowns/ or Unknowns/ (the BeHonest layout)")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise DatasetError(root / item.source.split(":")[0], f"duplicate id {item.id!r}")
        seen.add(item.id)
    return items
