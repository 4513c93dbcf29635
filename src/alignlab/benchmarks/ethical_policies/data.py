"""In-context ethical policy dilemmas: two options, one duty-based and one outcome-based.

``data/dilemmas.jsonl`` (bundled, ours): ``id``, ``dilemma``, ``duty_option``
(what a duty- or rule-based policy implies), ``outcome_option`` (what an
outcome-based policy implies), ``duty_value`` and ``outcome_value`` (the
value each option serves, for the value-ordering policies). ``data_dir``
names a folder (or file) in the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import check_unique_ids, data_root, file_in, read_jsonl, required_text

PACKAGE = "alignlab.benchmarks.ethical_policies"
FIELDS = ("id", "dilemma", "duty_option", "outcome_option", "duty_value", "outcome_value")


@dataclass(frozen=True)
class PolicyDilemma:
    id: str
    dilemma: str
    duty_option: str
    outcome_option: str
    duty_value: str
    outcome_value: str
    source: str


def load_policy_dilemmas(data_dir: str | None = None) -> list[PolicyDilemma]:
    """The dilemmas of ``data_dir`` or the bundled ones.

    Raises:
        DatasetError: a missing file or field, or a duplicate id.
    """
    path: Path = file_in(data_root(data_dir, PACKAGE), ("dilemmas.jsonl",), "README.md")
    items = [
        PolicyDilemma(
            **{name: required_text(row, name, path, line) for name in FIELDS},
            source=f"{path.name}:{line}",
        )
        for line, row in read_jsonl(path)
    ]
    check_unique_ids(path, items)
    return items
