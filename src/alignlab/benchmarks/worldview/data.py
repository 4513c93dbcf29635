"""WorldView-Bench questions: the bundled set written by this project, and a loader for user files.

Layout (``data/questions.jsonl``, and any user file): JSON lines, one
question per line, with

* ``id``: unique text;
* ``domain``: the knowledge domain (free text; the bundled set uses family,
  health, governance, economy, education, arts, environment);
* ``question``: a free-form question that carries cultural weight (its answer
  depends on the tradition one answers from).

This is the item schema the paper describes (``{id, domain, question}``);
the paper's own 175 questions are not published. ``.csv``/``.tsv`` and
``.parquet`` files with the same columns are read too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    read_rows,
    refuse_hub,
    required_text,
)

PACKAGE = "alignlab.benchmarks.worldview"
QUESTIONS_FILE = "questions.jsonl"
CARD = "alignlab/benchmarks/worldview/data/CARD.md"


@dataclass(frozen=True)
class WorldviewQuestion:
    """One culturally loaded open question."""

    id: str
    domain: str
    question: str
    source: str


def load_questions(path: str | Path | None = None) -> list[WorldviewQuestion]:
    """The questions in ``path`` (a file, or a directory holding ``questions.jsonl``), or the
    bundled ones when ``path`` is None.

    Raises:
        DatasetError: the file is missing, empty or malformed (the message names the
            file, line and field), or two questions share an id.
    """
    refuse_hub(path, "WorldView-Bench's questions are not published; use a file of your own")
    file = file_in(data_root(path, PACKAGE), (QUESTIONS_FILE,), CARD)
    questions = [
        WorldviewQuestion(
            id=required_text(row, "id", file, line_no),
            domain=required_text(row, "domain", file, line_no),
            question=required_text(row, "question", file, line_no),
            source=f"{file}:{line_no}",
        )
        for line_no, row in read_rows(file)
    ]
    check_unique_ids(file, questions)
    return questions
