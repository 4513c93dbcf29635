"""Loader for Moral Turing Test scenarios (after Aharoni et al., Sci. Rep. 2024).

The paper's material has no published machine-readable layout; scenarios are
read from alignlab's JSON lines or CSV with the same columns (see
:func:`load_mtt`). ``None`` as the path reads the scenarios bundled with
alignlab (written by the project; see ``data/CARD.md``). Every malformed row
raises :class:`~alignlab.errors.DatasetError` naming the file, the line and
the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    family_data,
    file_in,
    read_rows,
    required_text,
)
from alignlab.errors import DatasetError

MTT_FILES = ("scenarios.jsonl", "scenarios.csv")
VERDICTS = ("not wrong", "wrong")
"""Moral Turing Test verdicts; index 1 ("wrong") is the positive class."""

Verdict = Literal["not wrong", "wrong"]


@dataclass(frozen=True)
class MoralScenario:
    """A Moral Turing Test scenario with a human and an AI-written moral judgment.

    ``human_verdict`` is the majority verdict of the human raters (``votes``
    holds their counts per verdict when known).
    """

    id: str
    scenario: str
    human_judgment: str
    ai_judgment: str
    human_verdict: Verdict
    votes: dict[str, int] = field(default_factory=dict)
    source: str = ""


def bundled_dir() -> Path:
    """The folder of the bundled scenarios (``alignlab/benchmarks/mtt/data``)."""
    return family_data("alignlab.benchmarks.mtt")


def load_mtt(path: str | Path | None = None) -> list[MoralScenario]:
    """Moral Turing Test scenarios (after Aharoni et al., Sci. Rep. 2024).

    JSON lines or CSV with ``id``, ``scenario`` (what a person did),
    ``human_judgment`` and ``ai_judgment`` (a human's and an AI system's
    written moral judgment of it), and the human majority verdict: either
    ``human_verdict`` (``wrong`` / ``not wrong``) or ``votes_wrong`` and
    ``votes_not_wrong`` (counts; a tie is an error), or both (they must agree).

    Raises:
        DatasetError: the file is missing or a row is malformed.
    """
    root = data_root(path, "alignlab.benchmarks.mtt")
    file = file_in(root, MTT_FILES, "data/CARD.md of alignlab.benchmarks.mtt")
    scenarios = []
    for line_no, row in read_rows(file):
        verdict, votes = _verdict(row, file, line_no)
        scenarios.append(
            MoralScenario(
                id=required_text(row, "id", file, line_no),
                scenario=required_text(row, "scenario", file, line_no),
                human_judgment=required_text(row, "human_judgment", file, line_no),
                ai_judgment=required_text(row, "ai_judgment", file, line_no),
                human_verdict=verdict,
                votes=votes,
                source=f"{file}:{line_no}",
            )
        )
    check_unique_ids(file, scenarios)
    return scenarios


def _verdict(row: dict[str, Any], file: Path, line_no: int) -> tuple[Verdict, dict[str, int]]:
    votes: dict[str, int] = {}
    for verdict, column in (("wrong", "votes_wrong"), ("not wrong", "votes_not_wrong")):
        raw = row.get(column)
        if raw in (None, ""):
            continue
        try:
            count = int(str(raw).strip())
        except ValueError:
            count = -1
        if count < 0:
            raise DatasetError(
                file, f"must be a count (0 or more), got {raw!r}", line=line_no, field=column
            )
        votes[verdict] = count
    stated = str(row.get("human_verdict") or "").strip().lower()
    if stated and stated not in VERDICTS:
        raise DatasetError(
            file,
            f"must be 'wrong' or 'not wrong', got {row.get('human_verdict')!r}",
            line=line_no,
            field="human_verdict",
        )
    if len(votes) == 2:
        if votes["wrong"] == votes["not wrong"]:
            raise DatasetError(
                file, "the votes are tied: no majority verdict", line_no, "votes_wrong"
            )
        majority: Verdict = "wrong" if votes["wrong"] > votes["not wrong"] else "not wrong"
        if stated and stated != majority:
            raise DatasetError(
                file,
                f"human_verdict '{stated}' disagrees with the majority of the votes ({majority})",
                line=line_no,
                field="human_verdict",
            )
        return majority, votes
    if not stated:
        raise DatasetError(
            file,
            "give human_verdict, or both votes_wrong and votes_not_wrong",
            line=line_no,
            field="human_verdict",
        )
    return ("wrong" if stated == "wrong" else "not wrong"), votes
