"""EthicsMH-style scenarios: mental-health ethics dilemmas with options, the expected
choice, expected reasoning points and the stakeholders whose views matter.

Bundled (``data/scenarios.jsonl``, ours): ``id``, ``scenario``, ``options`` (3),
``expected`` (index of the expected option), ``expected_reasoning`` (points a
sound explanation makes), ``viewpoints`` (stakeholders). ``data_dir`` names a
folder with ``scenarios.jsonl`` in this layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    read_jsonl,
    required_text,
    text_list,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.ethicsmh"


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
    path = file_in(data_root(data_dir, PACKAGE), ("scenarios.jsonl",), "README.md")
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
