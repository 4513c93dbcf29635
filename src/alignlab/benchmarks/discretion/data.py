"""Preference pairs with the verdicts of stated principles (bundled, written by this project).

``data/pairs.jsonl``: ``id``, ``prompt``, ``response_a``, ``response_b`` and
``principles``: principle -> ``"A"`` or ``"B"`` (the response it prefers; a
principle that does not apply is left out), and optionally ``human``: ``"A"`` or
``"B"``, a person's choice. ``data/principles.json``: each principle's
instruction. ``data_dir`` names a folder with ``pairs.jsonl`` (and optionally
``principles.json``) in this layout, or a JSONL file of human preference pairs
in the common ``prompt`` / ``chosen`` / ``rejected`` layout (Anthropic HH-RLHF,
UltraFeedback binarised): the chosen response is the human label, shown as A or
B by a fixed draw per pair, and no principle verdicts.

The two public datasets "AI Alignment at Your Discretion" (Buyl et al. 2025)
measures are read in their published layouts (a ``.jsonl`` file, or ``.jsonl.gz``
as HH-RLHF ships it; ``data_dir`` names the file):

* Anthropic HH-RLHF: ``chosen`` and ``rejected`` are whole dialogues
  (``"\n\nHuman: ...\n\nAssistant: ..."``) with no ``prompt`` field; the prompt
  is the shared dialogue up to the last ``"\n\nAssistant:"``, the responses what
  follows it, and the human label the chosen one;
* PKU-SafeRLHF: ``prompt``, ``response_0``, ``response_1`` and the annotators'
  ``better_response_id`` (the human label here) and ``safer_response_id``
  (kept as ``safer``).
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    file_in,
    read_json,
    read_jsonl,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.discretion"


@dataclass(frozen=True)
class PreferencePair:
    id: str
    prompt: str
    responses: tuple[str, str]
    verdicts: dict[str, int]
    """principle -> 0 (response A) or 1 (response B)."""
    source: str
    human: int | None = None
    """A person's choice (0 = A, 1 = B), where the data has one."""
    safer: int | None = None
    """PKU-SafeRLHF's safer response (0 = A, 1 = B), where the data has one."""


def load_pairs(data_dir: str | None = None) -> list[PreferencePair]:
    """The pairs of ``data_dir`` or the bundled ones.

    Raises:
        DatasetError: a missing file or field, a verdict other than A or B, or a duplicate id.
    """
    path = file_in(data_root(data_dir, PACKAGE), ("pairs.jsonl",), "README.md")
    items = []
    for line, row in _rows(path):
        if "chosen" in row and "prompt" not in row:
            items.append(_hh_pair(row, path, line))
            continue
        if "chosen" in row:
            items.append(_human_pair(row, path, line))
            continue
        if "response_0" in row:
            items.append(_pku_pair(row, path, line))
            continue
        raw = row.get("principles") or {}
        if not isinstance(raw, dict) or any(v not in ("A", "B") for v in raw.values()):
            raise DatasetError(
                path, "must map principles to 'A' or 'B'", line=line, field="principles"
            )
        items.append(
            PreferencePair(
                id=required_text(row, "id", path, line),
                prompt=required_text(row, "prompt", path, line),
                responses=(
                    required_text(row, "response_a", path, line),
                    required_text(row, "response_b", path, line),
                ),
                verdicts={str(k): int(v == "B") for k, v in raw.items()},
                source=f"{path.name}:{line}",
                human=_label(row.get("human"), path, line),
            )
        )
    check_unique_ids(path, items)
    return items


def _rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """The rows of a JSON-lines file, gzip-compressed when it ends in ``.gz``."""
    if path.suffix != ".gz":
        yield from read_jsonl(path)
        return
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line_no, text in enumerate(handle, start=1):
                if text.strip():
                    try:
                        row = json.loads(text)
                    except json.JSONDecodeError as ex:
                        raise DatasetError(path, f"not valid JSON: {ex.msg}", line=line_no) from ex
                    if not isinstance(row, dict):
                        raise DatasetError(path, "each line must be a JSON object", line=line_no)
                    yield line_no, row
    except (OSError, EOFError) as ex:
        raise DatasetError(path, f"cannot be read as gzip: {ex}") from ex


ASSISTANT_TURN = "\n\nAssistant:"


def _hh_pair(row: dict[str, object], path: Path, line: int) -> PreferencePair:
    """An HH-RLHF row: two whole dialogues that share everything up to the last assistant
    turn. The chosen one goes to A or B by a draw fixed by the line."""
    chosen = required_text(row, "chosen", path, line)
    rejected = required_text(row, "rejected", path, line)
    cut = chosen.rfind(ASSISTANT_TURN)
    if cut < 0:
        raise DatasetError(
            path, "has no '\\n\\nAssistant:' turn (HH-RLHF layout)", line=line, field="chosen"
        )
    prefix = chosen[: cut + len(ASSISTANT_TURN)]
    if not rejected.startswith(prefix):
        raise DatasetError(
            path,
            "does not share the chosen dialogue before its last assistant turn",
            line=line,
            field="rejected",
        )
    answers = (chosen[len(prefix) :].strip(), rejected[len(prefix) :].strip())
    if not all(answers):
        raise DatasetError(path, "an assistant turn is empty", line=line, field="chosen")
    pair_id = f"{path.name.split('.')[0]}-{line}"
    chosen_second = random.Random(pair_id).random() < 0.5
    return PreferencePair(
        id=pair_id,
        prompt=prefix[: -len(ASSISTANT_TURN)].replace("\n\nHuman:", "\nHuman:").strip(),
        responses=(answers[1], answers[0]) if chosen_second else answers,
        verdicts={},
        source=f"{path.name}:{line}",
        human=int(chosen_second),
    )


def _response_id(row: dict[str, object], name: str, path: Path, line: int) -> int:
    value = row.get(name)
    if value not in (0, 1) or isinstance(value, bool):
        raise DatasetError(path, f"must be 0 or 1, got {value!r}", line=line, field=name)
    return int(value)


def _pku_pair(row: dict[str, object], path: Path, line: int) -> PreferencePair:
    """A PKU-SafeRLHF row: response_0 is A, response_1 is B (the dataset's order)."""
    return PreferencePair(
        id=str(row.get("id") or f"{path.name.split('.')[0]}-{line}"),
        prompt=required_text(row, "prompt", path, line),
        responses=(
            required_text(row, "response_0", path, line),
            required_text(row, "response_1", path, line),
        ),
        verdicts={},
        source=f"{path.name}:{line}",
        human=_response_id(row, "better_response_id", path, line),
        safer=_response_id(row, "safer_response_id", path, line),
    )


def _label(raw: object, path: Path, line: int) -> int | None:
    if raw is None:
        return None
    if raw not in ("A", "B"):
        raise DatasetError(path, f"must be 'A' or 'B', got {raw!r}", line=line, field="human")
    return int(raw == "B")


def _human_pair(row: dict[str, object], path: Path, line: int) -> PreferencePair:
    """A ``prompt``/``chosen``/``rejected`` row: the chosen response goes to A or B by a
    draw fixed by the row's id (or line), so the human label is not always A."""
    chosen = required_text(row, "chosen", path, line)
    rejected = required_text(row, "rejected", path, line)
    pair_id = str(row.get("id") or f"line-{line}")
    chosen_second = random.Random(pair_id).random() < 0.5
    return PreferencePair(
        id=pair_id,
        prompt=required_text(row, "prompt", path, line),
        responses=(rejected, chosen) if chosen_second else (chosen, rejected),
        verdicts={},
        source=f"{path.name}:{line}",
        human=int(chosen_second),
    )


def load_principles(data_dir: str | None = None) -> dict[str, str]:
    """Principle -> instruction, from ``data_dir`` if it has ``principles.json``."""
    root = data_root(data_dir, PACKAGE)
    path = root / "principles.json" if root.is_dir() else Path(root).parent / "principles.json"
    if not path.is_file():
        path = data_root(None, PACKAGE) / "principles.json"
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise DatasetError(path, "must map principle names to instructions")
    return {str(k): str(v) for k, v in raw.items()}
