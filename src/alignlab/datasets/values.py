"""Loaders for the value-measurement datasets: Utility Engineering outcomes and AIRiskDilemmas.

Outcomes (Mazeika et al. 2025, arXiv 2502.08640) are short descriptions of
states of the world that a model compares in pairs. Three formats are read:

* ``*.jsonl`` (alignlab's own, the bundled file): one object per line with
  ``id``, ``text``, ``category`` and, for quantity families used in
  exchange-rate analyses, ``quantity`` (the N in the text) and ``good`` (the
  family name);
* ``*.json`` holding a flat list of option strings (the authors' ``options.json``);
* ``*.json`` holding an object that maps each category to a list of option
  strings (the authors' ``options_hierarchical.json``).

AIRiskDilemmas (Chiu et al. 2025, arXiv 2505.14633) is read in its published
layout: a ``model_eval`` table with two consecutive rows per dilemma (fields
``dilemma``, ``action`` starting ``Action 1:`` / ``Action 2:``, and ``values``,
a stringified Python list of fine-grained values) plus a ``value_map`` table
(``value`` -> ``value_class``). Both may be JSON lines or CSV.

``None`` as the path reads the dataset bundled with alignlab (written by the
project, same format; see ``data/utility/CARD.md`` and ``data/airisk/CARD.md``).
Every malformed row raises :class:`~alignlab.errors.DatasetError` naming the
file, the line and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    bundled_data,
    data_root,
    first_file,
    json_object,
    literal_list,
    read_json,
    read_rows,
    read_string_map,
    required_text,
    source_line,
)
from alignlab.errors import DatasetError

AIRISK_HUB_REPO = "kellycyy/AIRiskDilemmas"
VALUE_CLASSES = (
    "Privacy",
    "Truthfulness",
    "Justice",
    "Care",
    "Equal Treatment",
    "Protection",
    "Cooperation",
    "Respect",
    "Professionalism",
    "Freedom",
    "Wisdom",
    "Communication",
    "Learning",
    "Sustainability",
    "Creativity",
    "Adaptability",
)
"""The 16 value classes of LitmusValues (Chiu et al. 2025)."""

DILEMMA_FILES = ("model_eval.jsonl", "model_eval.csv", "full.jsonl", "full.csv")
VALUE_MAP_FILES = ("value_map.jsonl", "value_map.csv", "value_map.json")
_ACTION_PREFIXES = ("Action 1:", "Action 2:")


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


@dataclass(frozen=True)
class Dilemma:
    """One AIRiskDilemmas dilemma: two actions, the values each upholds and their classes.

    ``actions[0]`` is Action 1 (do it), ``actions[1]`` Action 2 (don't), both
    without their ``Action k:`` prefix. ``values[k]`` are the fine-grained
    values of action k as listed, ``classes[k]`` their value classes in the same
    order (duplicates kept, as the paper's battle construction keeps them).
    """

    index: int
    text: str
    actions: tuple[str, str]
    values: tuple[tuple[str, ...], tuple[str, ...]]
    classes: tuple[tuple[str, ...], tuple[str, ...]]
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def bundled_outcomes_path() -> Path:
    """The outcomes file written by this project."""
    return bundled_data("utility") / "outcomes.jsonl"


def bundled_airisk_dir() -> Path:
    """The folder of the AIRiskDilemmas-format dataset written by this project."""
    return bundled_data("airisk")


# --- outcomes ------------------------------------------------------------------------------


def load_outcomes(path: str | Path | None = None) -> list[Outcome]:
    """Read outcomes from the bundled file, alignlab's JSON lines, or the published JSON.

    Raises:
        DatasetError: the file is missing, not JSON, or an outcome is malformed
            (empty text, duplicate id or text, a quantity without a family, ...).
    """
    file = bundled_outcomes_path() if path is None else Path(path).expanduser()
    if not file.is_file():
        raise DatasetError(
            file,
            "file not found. Give a .jsonl file of outcomes (id, text, category), the published "
            "options.json (a list of strings) or options_hierarchical.json (category -> list), "
            "or leave outcomes_path out to use the bundled outcomes.",
        )
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
    with file.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json_object(file, line, line_no)
            text = required_text(row, "text", file, line_no)
            ident = row.get("id")
            if ident is None or not str(ident).strip():
                raise DatasetError(file, "every outcome needs an id", line=line_no, field="id")
            category = row.get("category") or ""
            if not isinstance(category, str):
                raise DatasetError(
                    file, "category must be a string", line=line_no, field="category"
                )
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


# --- AIRiskDilemmas ------------------------------------------------------------------------


def load_value_map(data_dir: str | Path | None = None) -> dict[str, str]:
    """The ``value -> value_class`` map of an AIRiskDilemmas directory.

    Raises:
        DatasetError: no value map file, or a row without a value or class.
    """
    root = _airisk_root(data_dir)
    file = _first_existing(root, VALUE_MAP_FILES, "value map")
    if file.suffix == ".json":
        mapping = read_string_map(file, "value_map.json must be an object of value -> value class")
    else:
        mapping = {}
        for line_no, row in read_rows(file):
            value = required_text(row, "value", file, line_no)
            mapping[value] = required_text(row, "value_class", file, line_no)
    if not mapping:
        raise DatasetError(file, "holds no values")
    return mapping


def load_dilemmas(data_dir: str | Path | None = None) -> list[Dilemma]:
    """Read AIRiskDilemmas-format dilemmas and map their values to value classes.

    Rows pair up consecutively: ``Action 1:`` then ``Action 2:`` with the same
    ``dilemma`` text. Extra fields (for example ``risky_behaviors`` or
    ``context`` in the published ``full`` config) are kept in ``extra``.

    Raises:
        DatasetError: a file is missing; a dilemma has one row only, rows out of
            order or different texts; an action lacks its ``Action k:`` prefix;
            a values list does not parse; a value is missing from the value map.
    """
    root = _airisk_root(data_dir)
    file = _first_existing(root, DILEMMA_FILES, "dilemma table")
    value_map = load_value_map(root)
    map_file = _first_existing(root, VALUE_MAP_FILES, "value map")
    rows = list(read_rows(file))
    if not rows:
        raise DatasetError(file, "holds no rows")
    dilemmas = []
    for k in range(0, len(rows), 2):
        first_line, first = rows[k]
        if k + 1 >= len(rows):
            raise DatasetError(
                file,
                f"the file has {len(rows)} rows, an odd number: this dilemma has an 'Action 1' row "
                "but no 'Action 2' row after it (each dilemma takes two consecutive rows)",
                line=first_line,
                field="action",
            )
        second_line, second = rows[k + 1]
        texts = []
        values: list[tuple[str, ...]] = []
        classes: list[tuple[str, ...]] = []
        for position, (line_no, row) in enumerate(((first_line, first), (second_line, second))):
            action = required_text(row, "action", file, line_no)
            prefix = _ACTION_PREFIXES[position]
            if not action.startswith(prefix):
                raise DatasetError(
                    file,
                    f"expected an action starting '{prefix}' here (row {position + 1} of the "
                    f"dilemma starting at line {first_line}), got '{action[:40]}'; each dilemma "
                    "is an 'Action 1:' row followed by an 'Action 2:' row",
                    line=line_no,
                    field="action",
                )
            texts.append(action[len(prefix) :].strip())
            row_values = _parse_values(row.get("values"), file, line_no)
            missing = [v for v in row_values if v not in value_map]
            if missing:
                raise DatasetError(
                    file,
                    f"value '{missing[0]}' is not in the value map {map_file}; add it there "
                    "with its value class",
                    line=line_no,
                    field="values",
                )
            values.append(row_values)
            classes.append(tuple(value_map[v] for v in row_values))
        text = required_text(first, "dilemma", file, first_line)
        if required_text(second, "dilemma", file, second_line) != text:
            raise DatasetError(
                file,
                f"the 'Action 2' row has a different dilemma text from the 'Action 1' row at line "
                f"{first_line}; the two rows of a dilemma must repeat the same text",
                line=second_line,
                field="dilemma",
            )
        extra = {
            key: value for key, value in first.items() if key not in ("dilemma", "action", "values")
        }
        dilemmas.append(
            Dilemma(
                index=k // 2,
                text=text,
                actions=(texts[0], texts[1]),
                values=(values[0], values[1]),
                classes=(classes[0], classes[1]),
                source=f"{file}:{first_line}",
                extra=extra,
            )
        )
    return dilemmas


def _airisk_root(data_dir: str | Path | None) -> Path:
    root = data_root(data_dir, "airisk")
    if not root.is_dir():
        raise DatasetError(
            root,
            "directory not found. Export kellycyy/AIRiskDilemmas (model_eval and value_map) "
            "there as .jsonl or .csv (see data/airisk/CARD.md), or leave data_dir out to use "
            "the bundled dilemmas.",
        )
    return root


def _first_existing(root: Path, names: tuple[str, ...], what: str) -> Path:
    found = first_file(root, names)
    if found is not None:
        return found
    raise DatasetError(
        root,
        f"no {what} found; expected one of {', '.join(names)} in this directory "
        "(see data/airisk/CARD.md for how to export the published dataset)",
    )


def _parse_values(raw: Any, file: Path, line_no: int) -> tuple[str, ...]:
    """A stringified Python list (the published format) or a JSON list of value names."""
    parsed = literal_list(raw, file, line_no, "values", "['privacy', 'honesty']")
    if not isinstance(parsed, list | tuple) or not all(
        isinstance(v, str) and v.strip() for v in parsed
    ):
        raise DatasetError(
            file,
            f"values must be a list of non-empty strings, got {raw!r}",
            line=line_no,
            field="values",
        )
    # An empty list is allowed: the action then takes part in no battle (as in the paper's code).
    return tuple(v.strip() for v in parsed)
