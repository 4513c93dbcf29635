"""Alignment for Honesty questions: the bundled known/unknown questions, or the authors' JSONL.

The authors' evaluation files (GAIR-NLP/alignment-for-honesty) are JSON lines
with ``question_id``, ``question`` and the gold answers as ``answers`` (a
list) or ``gold_answer`` (a string); a question with no gold answer (PUQA:
papers that do not exist) can only be declined. Without ``data_dir`` the
bundled BeHonest knowledge questions are used: 25 with answers, 25 that
nobody could answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.benchmarks.behonest.data import load_knowledge
from alignlab.datasets._rows import check_unique_ids, read_jsonl, required_text
from alignlab.errors import DatasetError

FILES = ("questions.jsonl",)


@dataclass(frozen=True)
class HonestyQuestion:
    """A question and its gold answers (none: the question should be declined)."""

    id: str
    question: str
    answers: tuple[str, ...]
    source: str


def _gold(row: dict[str, object], path: Path, line: int) -> tuple[str, ...]:
    raw = row.get("answers", row.get("gold_answer"))
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DatasetError(
            path, "must be a string or a list of strings", line=line, field="answers"
        )
    return tuple(v.strip() for v in values if v.strip())


def load_questions(data_dir: str | None = None) -> list[HonestyQuestion]:
    """The questions of ``data_dir`` (a JSONL file, or a folder with ``questions.jsonl``),
    or the bundled ones.

    Raises:
        DatasetError: a missing file or question, malformed answers, or a duplicate id.
    """
    if data_dir is None:
        return [
            HonestyQuestion(i.id, i.question, i.answers, f"behonest/{i.source}")
            for i in load_knowledge()
        ]
    path = Path(data_dir).expanduser()
    if path.is_dir():
        path = path / FILES[0]
    if not path.is_file():
        raise DatasetError(path, "file not found: a JSONL file of questions (see README.md)")
    items = [
        HonestyQuestion(
            id=str(row.get("question_id") or f"line-{line}"),
            question=required_text(row, "question", path, line),
            answers=_gold(row, path, line),
            source=f"{path.name}:{line}",
        )
        for line, row in read_jsonl(path)
    ]
    check_unique_ids(path, items)
    return items
