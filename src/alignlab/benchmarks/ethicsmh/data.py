"""EthicsMH-style scenarios: mental-health ethics dilemmas with options, the expected
choice, expected reasoning points and the stakeholders whose views matter.

Bundled (``data/scenarios.jsonl``, ours): ``id``, ``scenario``, ``options`` (3),
``expected`` (index of the expected option), ``expected_reasoning`` (points a
sound explanation makes), ``viewpoints`` (stakeholders). ``data_dir`` names a
folder with ``scenarios.jsonl`` in this layout, or the published release.

Published (HF ``UVSKKR/Ethical-Reasoning-in-Mental-Health-v1``, the file
``Ethical-Reasoning-in-Mental-Health.csv``; ``data_dir`` names it or its
folder): a CSV with a blank-named index column and ``id``, ``subcategory``,
``scenario``, ``options`` and ``viewpoints`` (stringified Python lists),
``reasoning_task``, ``expected_reasoning`` (prose that names the preferred
option as "Option N", 1-based), ``model_behavior`` and ``real_world_impact``.
The expected option is read from the first "Option N" of
``expected_reasoning``; a row that names none (or one outside its options)
cannot be scored for decision accuracy, so it is left out with a warning that
counts such rows, never guessed.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    literal_list,
    read_csv,
    read_jsonl,
    required_text,
    text_list,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.ethicsmh"
PUBLISHED_CSV = "Ethical-Reasoning-in-Mental-Health.csv"
PUBLISHED_COLUMNS = (
    "id",
    "subcategory",
    "scenario",
    "options",
    "reasoning_task",
    "expected_reasoning",
    "model_behavior",
    "real_world_impact",
    "viewpoints",
)
_OPTION = re.compile(r"\boption\s*\(?(\d+)\)?", re.IGNORECASE)


@dataclass(frozen=True)
class MHScenario:
    id: str
    scenario: str
    options: tuple[str, ...]
    expected: int
    expected_reasoning: tuple[str, ...]
    viewpoints: tuple[str, ...]
    source: str


def load_scenarios(data_dir: str | None = None) -> list[MHScenario]:
    """The scenarios of ``data_dir`` or the bundled ones.

    Raises:
        DatasetError: a missing file or field, an expected index outside the options,
            or a duplicate id.
    """
    root = data_root(data_dir, PACKAGE)
    if root.suffix == ".csv" or (root.is_dir() and (root / PUBLISHED_CSV).is_file()):
        return load_published(root if root.suffix == ".csv" else root / PUBLISHED_CSV)
    path = file_in(root, ("scenarios.jsonl",), "README.md")
    items = []
    for line, row in read_jsonl(path):
        options = text_list(row, "options", path, line, at_least=2)
        expected = row.get("expected")
        if not isinstance(expected, int) or not 0 <= expected < len(options):
            raise DatasetError(
                path, f"must index one of the {len(options)} options", line=line, field="expected"
            )
        items.append(
            MHScenario(
                id=required_text(row, "id", path, line),
                scenario=required_text(row, "scenario", path, line),
                options=options,
                expected=expected,
                expected_reasoning=text_list(row, "expected_reasoning", path, line, at_least=1),
                viewpoints=text_list(row, "viewpoints", path, line, at_least=1),
                source=f"{path.name}:{line}",
            )
        )
    check_unique_ids(path, items)
    return items


def _published_list(row: dict[str, str | None], name: str, path: Path, line: int) -> list[str]:
    value = literal_list(row.get(name), path, line, name, "['first', 'second']")
    return list(text_list({name: value}, name, path, line, at_least=1))


def load_published(path: Path) -> list[MHScenario]:
    """The published EthicsMH CSV (see the module docstring for the layout).

    ``expected_reasoning`` becomes the one expected reasoning point of the
    rubric; the other published fields (``subcategory``, ``reasoning_task``,
    ``model_behavior``, ``real_world_impact``) are checked to be present but
    not used by the task.

    Raises:
        DatasetError: a missing column or field, a list field that is not a list
            (file, line and field named), or a duplicate id.
    """
    items: list[MHScenario] = []
    unreadable: list[int] = []
    for line, row in read_csv(path, required=PUBLISHED_COLUMNS, needs="EthicsMH's CSV needs"):
        options = _published_list(row, "options", path, line)
        viewpoints = _published_list(row, "viewpoints", path, line)
        reasoning = required_text(row, "expected_reasoning", path, line)
        for name in ("subcategory", "reasoning_task", "model_behavior", "real_world_impact"):
            required_text(row, name, path, line)
        named = _OPTION.search(reasoning)
        if named is None or not 1 <= int(named.group(1)) <= len(options):
            unreadable.append(line)
            continue
        items.append(
            MHScenario(
                id=required_text(row, "id", path, line),
                scenario=required_text(row, "scenario", path, line),
                options=tuple(options),
                expected=int(named.group(1)) - 1,
                expected_reasoning=(reasoning,),
                viewpoints=tuple(viewpoints),
                source=f"{path.name}:{line}",
            )
        )
    if unreadable:
        warnings.warn(
            f"{path}: {len(unreadable)} row(s) name no preferred option ('Option N') in "
            f"expected_reasoning and are left out (lines {unreadable[:10]})",
            stacklevel=2,
        )
    check_unique_ids(path, items)
    if not items:
        raise DatasetError(path, "no row names a preferred option; nothing to evaluate")
    return items
