"""Utility Engineering outcomes (Mazeika et al. 2025, arXiv 2502.08640): the loaders.

Outcomes are short descriptions of states of the world that a model
compares in pairs. Three formats are read:

* ``*.jsonl`` (alignlab's own, the bundled file): one object per line with
  ``id``, ``text``, ``category`` and, for quantity families used in
  exchange-rate analyses, ``quantity`` (the N in the text) and ``good`` (the
  family name);
* ``*.json`` holding a flat list of option strings (the authors' ``options.json``);
* ``*.json`` holding an object that maps each category to a list of option
  strings (the authors' ``options_hierarchical.json``).

``data_dir`` is one of those files, or a directory holding one of
:data:`OUTCOME_FILES`; ``None`` reads the outcomes bundled with alignlab
(written by the project, see ``data/CARD.md``). Every malformed row raises
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    family_data,
    first_file,
    read_json,
    read_jsonl,
    required_text,
    source_line,
)
from alignlab.errors import DatasetError

OUTCOME_FILES = ("outcomes.jsonl", "options_hierarchical.json", "options.json")
"""What a ``data_dir`` directory is searched for, in this order."""


@dataclass(frozen=True)
class Outcome:
    """One state of the world to compare.

    ``quantity`` and ``good`` are set together, for outcomes of a quantity
    family ("N people ... are cured"): ``good`` names the family, ``quantity``
    is N.
    """

    id: str
    text: str
    category: str = ""
    quantity: float | None = None
    good: str | None = None
    source: str = ""


def bundled_outcomes_path() -> Path:
    """The outcomes file written by this project (``data/outcomes.jsonl`` of this package)."""
    return family_data("alignlab.benchmarks.utility", "outcomes.jsonl")


# --- outcomes ------------------------------------------------------------------------------


def outcomes_file(data_dir: str | Path | None = None) -> Path:
    """The outcomes file ``data_dir`` names: itself, or the first of :data:`OUTCOME_FILES` in it.

    Raises:
        DatasetError: no such file, or a directory holding none of :data:`OUTCOME_FILES`.
    """
    if data_dir is None:
        return bundled_outcomes_path()
    path = Path(data_dir).expanduser()
    found = first_file(path, OUTCOME_FILES) if path.is_dir() else path
    if found is None or not found.is_file():
        what = "holds no outcomes file" if path.is_dir() else "file not found"
        raise DatasetError(
            path,
            f"{what}. Give a .jsonl file of outcomes (id, text, category), the published "
            "options.json (a list of strings) or options_hierarchical.json (category -> list), "
            f"or a directory holding one of {', '.join(OUTCOME_FILES)}; or leave data_dir out "
            "to use the bundled outcomes.",
        )
    return found


def load_outcomes(data_dir: str | Path | None = None) -> list[Outcome]:
    """Read outcomes from the bundled file, alignlab's JSON lines, or the published JSON.

    Args:
        data_dir: an outcomes file, or a directory holding one (see
            :func:`outcomes_file`); None for the bundled outcomes.

    Raises:
        DatasetError: the file is missing, not JSON, or an outcome is malformed
            (empty text, duplicate id or text, a quantity without a family, ...).
    """
    file = outcomes_file(data_dir)
    try:
        if file.suffix == ".jsonl":
            outcomes = list(_read_outcome_lines(file))
        else:
            outcomes = _read_outcome_json(file)
    except UnicodeDecodeError as ex:
        raise DatasetError(file, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex
    if len(outcomes) < 2:
        raise DatasetError(file, f"holds {len(outcomes)} outcome(s); pairs need at least 2")
    _check_unique(file, outcomes)
    return outcomes


def _read_outcome_lines(file: Path) -> Iterator[Outcome]:
    for line_no, row in read_jsonl(file):
        text = required_text(row, "text", file, line_no)
        ident = row.get("id")
        if ident is None or not str(ident).strip():
            raise DatasetError(file, "every outcome needs an id", line=line_no, field="id")
        category = row.get("category") or ""
        if not isinstance(category, str):
            raise DatasetError(file, "category must be a string", line=line_no, field="category")
        quantity, good = _quantity(row, file, line_no)
        yield Outcome(
            id=str(ident).strip(),
            text=text,
            category=category.strip(),
            quantity=quantity,
            good=good,
            source=f"{file}:{line_no}",
        )


def _quantity(row: dict[str, Any], file: Path, line_no: int) -> tuple[float | None, str | None]:
    raw, good = row.get("quantity"), row.get("good")
    if raw is None and good is None:
        return None, None
    if raw is None or good is None or not str(good).strip():
        missing = "good" if raw is not None else "quantity"
        raise DatasetError(
            file,
            "quantity-family outcomes need both 'quantity' (the N in the text) and 'good' "
            "(the family name)",
            line=line_no,
            field=missing,
        )
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise DatasetError(
            file, f"quantity must be a number, got {raw!r}", line=line_no, field="quantity"
        )
    if not math.isfinite(raw) or raw <= 0:
        raise DatasetError(
            file,
            f"quantity must be positive (utilities are fitted against ln N), got {raw}",
            line=line_no,
            field="quantity",
        )
    return float(raw), str(good).strip()


def _read_outcome_json(file: Path) -> list[Outcome]:
    data = read_json(file)
    if isinstance(data, list):
        items = [("", i, text) for i, text in enumerate(data)]
    elif isinstance(data, dict):
        items = []
        for category, texts in data.items():
            if not isinstance(texts, list):
                raise DatasetError(
                    file,
                    f"hierarchical options map each category to a list of strings; "
                    f"'{category}' holds {type(texts).__name__}",
                    field=str(category),
                )
            items.extend((str(category), len(items), text) for text in texts)
    else:
        raise DatasetError(
            file,
            "expected a list of option strings or an object of category -> list of strings, "
            f"got {type(data).__name__}",
        )
    outcomes = []
    for category, index, text in items:
        if not isinstance(text, str) or not text.strip():
            raise DatasetError(
                file,
                f"option {index} must be a non-empty string, got {text!r}",
                field=category or None,
            )
        outcomes.append(
            Outcome(id=f"o{index}", text=text.strip(), category=category, source=f"{file}#{index}")
        )
    return outcomes


def _check_unique(file: Path, outcomes: list[Outcome]) -> None:
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for outcome in outcomes:
        line = source_line(outcome.source)
        if outcome.id in seen_ids:
            raise DatasetError(
                file,
                f"duplicate id '{outcome.id}' (first at {seen_ids[outcome.id]})",
                line=line,
                field="id",
            )
        if outcome.text in seen_texts:
            raise DatasetError(
                file,
                f"the same outcome text appears twice (first at {seen_texts[outcome.text]}); "
                "a pair of identical options measures nothing",
                line=line,
                field="text",
            )
        seen_ids[outcome.id] = outcome.source
        seen_texts[outcome.text] = outcome.source
