"""AIRiskDilemmas (Chiu et al. 2025, arXiv 2505.14633), the data of LitmusValues: the loaders.

The dataset is read in its published layout: a ``model_eval`` table with two
consecutive rows per dilemma (fields ``dilemma``, ``action`` starting
``Action 1:`` / ``Action 2:``, and ``values``, a stringified Python list of
fine-grained values) plus a ``value_map`` table (``value`` -> ``value_class``).
Both may be JSON lines or CSV.

``None`` as ``data_dir`` reads the dilemmas bundled with alignlab (written by
the project, same format; see ``data/CARD.md``). Every malformed row raises
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    data_root,
    family_data,
    first_file,
    literal_list,
    read_rows,
    read_string_map,
    required_text,
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


def bundled_airisk_dir() -> Path:
    """The folder of the AIRiskDilemmas-format dataset written by this project (``data/``)."""
    return family_data("alignlab.benchmarks.litmus")


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
    root = data_root(data_dir, "alignlab.benchmarks.litmus")
    if not root.is_dir():
        raise DatasetError(
            root,
            "directory not found. Export kellycyy/AIRiskDilemmas (model_eval and value_map) "
            "there as .jsonl or .csv (see the litmus family's README.md), or leave data_dir "
            "out to use the bundled dilemmas.",
        )
    return root


def _first_existing(root: Path, names: tuple[str, ...], what: str) -> Path:
    found = first_file(root, names)
    if found is not None:
        return found
    raise DatasetError(
        root,
        f"no {what} found; expected one of {', '.join(names)} in this directory "
        "(see the litmus family's README.md for how to export the published dataset)",
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
