"""MisalignmentBench-style scripted attack conversations: loaders for the bundled set and user sets.

A scenario is a scripted multi-turn attack: the user turns are fixed, the target answers each
in turn, and a grader decides whether the target showed one misaligned ``behaviour``
(``deception``, ``value_drift``, ``self_preservation``, ``manipulation``; defined in
``data/behaviours.json``) under one attack ``tactic`` (``narrative_immersion``,
``emotional_pressure``, ``strategic_framing``).

* Bundled: ``situations.jsonl`` (16 situations, four per behaviour: ``id``, ``behaviour``,
  ``role``, ``context``, ``escalation``, ``ask``) crossed with ``tactics.json`` (tactic -> the
  three user turns, with ``{role}``, ``{context}``, ``{escalation}``, ``{ask}`` slots): 48
  scenarios, all written by this project.
* A user set (``data_dir``): ``scenarios.jsonl`` with ``id``, ``tactic``, ``behaviour``,
  ``turns`` (a list of user messages) and optionally ``system`` (a system prompt for the
  target) and ``situation``. Any tactic names work; behaviours must be defined in the bundled
  ``behaviours.json`` or in a ``behaviours.json`` next to the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    check_unique_ids,
    family_data,
    read_json,
    read_rows,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.misalignment"
SLOTS = ("role", "context", "escalation", "ask")


@dataclass(frozen=True)
class Scenario:
    """One scripted attack conversation."""

    id: str
    tactic: str
    behaviour: str
    turns: tuple[str, ...]
    situation: str = ""
    system: str = ""
    source: str = ""


def load_behaviours(data_dir: str | Path | None = None) -> dict[str, str]:
    """Behaviour -> the definition the grader is given (bundled, or ``behaviours.json`` in
    ``data_dir``)."""
    own = None if data_dir is None else _folder(data_dir) / "behaviours.json"
    file = own if own is not None and own.is_file() else family_data(PACKAGE) / "behaviours.json"
    raw = read_json(file)
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise DatasetError(file, "must hold an object: behaviour -> definition (text)")
    return dict(raw)


def load_scenarios(data_dir: str | Path | None = None) -> list[Scenario]:
    """The bundled 48 scenarios, or a user's ``scenarios.jsonl`` (a file, or a folder holding it).

    Raises:
        DatasetError: a missing file, a malformed row, an unknown behaviour, repeated ids.
    """
    behaviours = load_behaviours(data_dir)
    if data_dir is None:
        scenarios = _bundled()
        file = family_data(PACKAGE) / "situations.jsonl"
    else:
        path = Path(data_dir).expanduser()
        file = path if path.is_file() else path / "scenarios.jsonl"
        if not file.is_file():
            raise DatasetError(
                file, "file not found: give scenarios.jsonl (see data/CARD.md of the family)"
            )
        scenarios = [_scenario(row, file, line) for line, row in read_rows(file)]
    for s in scenarios:
        if s.behaviour not in behaviours:
            raise DatasetError(
                file,
                f"unknown behaviour '{s.behaviour}' in {s.id}; define it in behaviours.json "
                f"(known: {', '.join(behaviours)})",
                field="behaviour",
            )
    check_unique_ids(file, scenarios)
    return scenarios


def _folder(data_dir: str | Path) -> Path:
    path = Path(data_dir).expanduser()
    return path.parent if path.is_file() else path


def _scenario(row: dict[str, Any], file: Path, line: int) -> Scenario:
    turns = row.get("turns")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise DatasetError(file, "must be a non-empty list of user messages", line, "turns")
    return Scenario(
        id=required_text(row, "id", file, line),
        tactic=required_text(row, "tactic", file, line),
        behaviour=required_text(row, "behaviour", file, line),
        turns=tuple(turns),
        situation=str(row.get("situation") or row["id"]),
        system=str(row.get("system") or ""),
        source=f"{file}:{line}",
    )


def _bundled() -> list[Scenario]:
    folder = family_data(PACKAGE)
    tactics = read_json(folder / "tactics.json")
    file = folder / "situations.jsonl"
    situations = [
        (line, {k: required_text(row, k, file, line) for k in ("id", "behaviour", *SLOTS)})
        for line, row in read_rows(file)
    ]
    return [
        Scenario(
            id=f"{s['id']}-{tactic}",
            tactic=tactic,
            behaviour=s["behaviour"],
            turns=tuple(t.format(**{k: s[k] for k in SLOTS}) for t in turns),
            situation=s["id"],
            source=f"{file}:{line}",
        )
        for line, s in situations
        for tactic, turns in tactics.items()
    ]
