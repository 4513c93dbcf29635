"""PacifAIst (Herrador 2025, arXiv 2508.09762): the loader of the published CSV and the bundled set.

The published dataset is one CSV, ``dataset/PacifAIst_dataset.csv`` in the
authors' repository (github.com/PacifAIst/PacifAIst), with a few comment
lines above the header and the columns ``scenario_id``, ``category``
(``EP``), ``subcategory`` (EP1 self-preservation vs human safety, EP2
resource conflict, EP3 goal preservation vs evasion), ``task_type``
(``multiple_choice`` or ``generative``), ``prompt``, ``choice_a`` ..
``choice_d`` (empty for generative items), ``correct_choice`` (A-D, or
``N/A``/empty for generative items) and ``ideal_response_profile``.

``data_dir=None`` reads the set bundled with alignlab (written by this
project in the same schema; see ``data/CARD.md``). Every malformed row
raises :class:`~alignlab.errors.DatasetError` naming the file, the line and
the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import data_root, file_in, read_csv, refuse_hub, required_text
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.pacifaist"
FILES = ("PacifAIst_dataset.csv", "dataset/PacifAIst_dataset.csv", "pacifaist.csv")
BUNDLED_FILE = "pacifaist.csv"
COLUMNS = (
    "scenario_id",
    "category",
    "subcategory",
    "task_type",
    "prompt",
    "choice_a",
    "choice_b",
    "choice_c",
    "choice_d",
    "correct_choice",
    "ideal_response_profile",
)
LETTERS = ("A", "B", "C", "D")
TASK_TYPES = ("multiple_choice", "generative")
SUBCATEGORIES = {
    "EP1": "Self-preservation vs human safety",
    "EP2": "Resource conflict",
    "EP3": "Goal preservation vs evasion",
}
"""The three existential-prioritisation subcategories, by code."""

_CODE = re.compile(r"\b(EP[123])\b", re.IGNORECASE)
_NO_ANSWER = ("", "N/A", "NA", "NONE")


@dataclass(frozen=True)
class PacifaistItem:
    """One PacifAIst scenario.

    ``subcategory`` is the code (EP1, EP2, EP3) read from the row's
    ``subcategory`` (or, when that is empty, its ``scenario_id``); ``choices`` are
    the non-empty options in order A, B, ... (empty for generative items);
    ``correct`` is the gold letter of a multiple-choice item, None otherwise.
    """

    id: str
    subcategory: str
    task_type: str
    prompt: str
    choices: tuple[str, ...]
    correct: str | None
    ideal_response_profile: str
    source: str

    @property
    def is_multiple_choice(self) -> bool:
        return self.task_type == "multiple_choice"


def bundled_path() -> Path:
    """The CSV written by this project in the published schema."""
    return data_root(None, PACKAGE) / BUNDLED_FILE


def load_pacifaist(data_dir: str | Path | None = None) -> list[PacifaistItem]:
    """The scenarios of a PacifAIst CSV (``data_dir``: the file, or a folder holding it).

    Raises:
        DatasetError: no such file; a column missing from the header; a row
            with an unknown task type or subcategory, a multiple-choice item
            with fewer than two options, a gap in its options, or a gold
            letter that names no option; a duplicate ``scenario_id``.
    """
    refuse_hub(
        data_dir, "PacifAIst is published on GitHub only; download the CSV and give its path"
    )
    root = data_root(data_dir, PACKAGE)
    file = root / BUNDLED_FILE if data_dir is None else file_in(root, FILES, "the PacifAIst README")
    skip = _lines_before_header(file)
    items: list[PacifaistItem] = []
    seen: dict[str, int] = {}
    for line_no, row in read_csv(
        file, required=COLUMNS, needs="a PacifAIst CSV needs the columns", skip=skip
    ):
        item = _item(row, file, line_no)
        if item.id in seen:
            raise DatasetError(
                file,
                f"duplicate scenario_id '{item.id}' (first at line {seen[item.id]})",
                line=line_no,
                field="scenario_id",
            )
        seen[item.id] = line_no
        items.append(item)
    if not items:
        raise DatasetError(file, "holds no scenarios")
    return items


def _lines_before_header(file: Path) -> int:
    """How many lines (comments) come before the line that starts with ``scenario_id``."""
    try:
        with file.open(encoding="utf-8-sig") as handle:
            for index, line in enumerate(handle):
                if line.lstrip().lstrip('"').startswith("scenario_id"):
                    return index
                if index > 50:
                    break
    except (OSError, UnicodeDecodeError) as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex
    raise DatasetError(file, "no header line starting with 'scenario_id' in its first 50 lines")


def _item(row: dict[str, str | None], file: Path, line_no: int) -> PacifaistItem:
    scenario_id = required_text(row, "scenario_id", file, line_no)
    task_type = required_text(row, "task_type", file, line_no).lower()
    if task_type not in TASK_TYPES:
        raise DatasetError(
            file,
            f"unknown task type '{task_type}'; use {' or '.join(TASK_TYPES)}",
            line=line_no,
            field="task_type",
        )
    named = str(row.get("subcategory") or "").strip()
    match = _CODE.search(named) if named else _CODE.search(scenario_id)
    if match is None:
        raise DatasetError(
            file,
            f"cannot tell the subcategory from {row.get('subcategory')!r}; "
            f"it must name one of {', '.join(SUBCATEGORIES)}",
            line=line_no,
            field="subcategory",
        )
    options = [str(row.get(f"choice_{k.lower()}") or "").strip() for k in LETTERS]
    gold_raw = str(row.get("correct_choice") or "").strip().upper()
    choices: tuple[str, ...] = ()
    correct: str | None = None
    if task_type == "multiple_choice":
        count = len([o for o in options if o])
        if count < 2 or any(not o for o in options[:count]):
            raise DatasetError(
                file,
                "a multiple-choice item needs at least two options, filled from choice_a on",
                line=line_no,
                field="choice_a",
            )
        choices = tuple(options[:count])
        if gold_raw not in LETTERS[:count]:
            raise DatasetError(
                file,
                f"the gold answer {gold_raw!r} names none of the options "
                f"{', '.join(LETTERS[:count])}",
                line=line_no,
                field="correct_choice",
            )
        correct = gold_raw
    elif gold_raw not in _NO_ANSWER:
        raise DatasetError(
            file,
            f"a generative item has no gold letter (N/A or empty), got {gold_raw!r}",
            line=line_no,
            field="correct_choice",
        )
    return PacifaistItem(
        id=scenario_id,
        subcategory=match.group(1).upper(),
        task_type=task_type,
        prompt=required_text(row, "prompt", file, line_no),
        choices=choices,
        correct=correct,
        ideal_response_profile=str(row.get("ideal_response_profile") or "").strip(),
        source=f"{file.name}:{line_no}",
    )
