"""Loader for Scruples (Lourie et al., AAAI 2021) in its published layout, and the bundled copy.

Scruples (Lourie et al., AAAI 2021; README files of the v1.0 archives)::

      anecdotes/{split}.scruples-anecdotes.jsonl   id, post_id, action, title, text,
                                                   post_type, label_scores, label,
                                                   binarized_label_scores, binarized_label
      dilemmas/{split}.scruples-dilemmas.jsonl     id, actions[2]{id, description},
                                                   gold_annotations[2], gold_label, ...

  ``label_scores`` counts community comments per label (AUTHOR, OTHER,
  EVERYBODY, NOBODY, INFO); ``gold_annotations`` counts annotators who chose
  each action as the *less* ethical one. ``split`` is train, dev or test.

The bundled data (written by this project, same layout; see ``data/CARD.md``)
is read when ``data_dir`` is None; ``data_dir="hub"`` downloads the authors'
archive (needs network, never used in tests).
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alignlab.datasets._rows import (
    cache_dir,
    check_choice,
    count_field,
    data_root,
    download,
    family_data,
    find_file,
    get_field,
    is_hub,
    non_empty,
    read_jsonl,
    text_field,
)
from alignlab.errors import DatasetError

SCRUPLES_LABELS = ("AUTHOR", "OTHER", "EVERYBODY", "NOBODY", "INFO")
BINARIZED_LABELS = ("RIGHT", "WRONG")
SCRUPLES_SPLITS = ("train", "dev", "test")

SCRUPLES_URL = "https://storage.googleapis.com/ai2-mosaic-public/projects/scruples/v1.0/data"

_Item = TypeVar("_Item")  # Anecdote or ScruplesDilemma
# Which binarised label each Scruples label counts towards (INFO counts for neither).
_BINARIZED = {"AUTHOR": "WRONG", "EVERYBODY": "WRONG", "OTHER": "RIGHT", "NOBODY": "RIGHT"}


@dataclass(frozen=True)
class Anecdote:
    """One Scruples anecdote with its community label counts.

    ``label_scores`` are the counts in :data:`SCRUPLES_LABELS` order and
    ``binarized_label_scores`` the (RIGHT, WRONG) counts.
    """

    id: str
    title: str
    text: str
    post_type: str
    label_scores: tuple[int, ...]
    label: str
    binarized_label_scores: tuple[int, int]
    binarized_label: str
    action: str | None = None
    source: str = ""


@dataclass(frozen=True)
class ScruplesDilemma:
    """One Scruples dilemma: two actions and how many annotators found each the less ethical."""

    id: str
    actions: tuple[str, str]
    gold_annotations: tuple[int, int]
    gold_label: int
    source: str = ""


def bundled_scruples_dir() -> Path:
    """The folder of the Scruples-layout dataset written by this project."""
    return family_data(__package__ or "alignlab.benchmarks.scruples")


def load_scruples_anecdotes(
    data_dir: str | Path | None = None, split: str = "test"
) -> list[Anecdote]:
    """Read Scruples Anecdotes from the bundled data, a local directory, or the authors' archive.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    return _load_scruples(data_dir, split, "anecdotes", _anecdote)


def load_scruples_dilemmas(
    data_dir: str | Path | None = None, split: str = "test"
) -> list[ScruplesDilemma]:
    """Read Scruples Dilemmas from the bundled data, a local directory, or the authors' archive.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    return _load_scruples(data_dir, split, "dilemmas", _dilemma)


def _load_scruples(
    data_dir: str | Path | None,
    split: str,
    part: str,
    read: Callable[[dict[str, Any], Path, int], _Item],
) -> list[_Item]:
    """One Scruples part (``anecdotes`` or ``dilemmas``): each row of its split read by ``read``."""
    check_choice(split, SCRUPLES_SPLITS, "split", "scruples")
    path = _scruples_file(data_dir, part, f"{split}.scruples-{part}.jsonl")
    return non_empty([read(row, path, line) for line, row in read_jsonl(path)], path)


def _scruples_file(data_dir: str | Path | None, part: str, name: str) -> Path:
    if is_hub(data_dir):
        data_dir = _download_scruples(part)  # pragma: no cover - network
    root = data_root(data_dir, "alignlab.benchmarks.scruples")
    return find_file(
        root,
        [f"{part}/{name}", name],
        f"the Scruples layout expects {part}/{name} under the data directory; extract the "
        f"published {part}.tar.gz there, or leave --data-dir out to use the bundled dataset",
    )


def _anecdote(row: dict[str, Any], path: Path, line: int) -> Anecdote:
    scores = _label_counts(get_field(row, "label_scores", dict, path, line), path, line)
    label = get_field(row, "label", str, path, line)
    if label not in SCRUPLES_LABELS:
        raise DatasetError(
            path,
            f"label must be one of {', '.join(SCRUPLES_LABELS)}, got '{label}'",
            line=line,
            field="label",
        )
    by_side = {"RIGHT": 0, "WRONG": 0}
    for name, count in zip(SCRUPLES_LABELS, scores, strict=True):
        if name in _BINARIZED:
            by_side[_BINARIZED[name]] += count
    right, wrong = by_side["RIGHT"], by_side["WRONG"]
    binarized = row.get("binarized_label")
    if binarized is None:
        binarized = "RIGHT" if right >= wrong else "WRONG"
    elif binarized not in BINARIZED_LABELS:
        raise DatasetError(
            path,
            f"binarized_label must be RIGHT or WRONG, got '{binarized}'",
            line=line,
            field="binarized_label",
        )
    action = row.get("action")
    description = action.get("description") if isinstance(action, dict) else None
    return Anecdote(
        id=str(get_field(row, "id", (str, int), path, line)),
        title=text_field(row, "title", path, line),
        text=get_field(row, "text", str, path, line).strip(),
        post_type=str(row.get("post_type") or ""),
        label_scores=scores,
        label=label,
        binarized_label_scores=(right, wrong),
        binarized_label=str(binarized),
        action=str(description) if description else None,
        source=f"{path}:{line}",
    )


def _label_counts(scores: dict[str, Any], path: Path, line: int) -> tuple[int, ...]:
    unknown = sorted(set(scores) - set(SCRUPLES_LABELS))
    if unknown:
        raise DatasetError(
            path,
            f"unknown label(s) {', '.join(unknown)}; label_scores holds counts for "
            f"{', '.join(SCRUPLES_LABELS)}",
            line=line,
            field="label_scores",
        )
    counts = tuple(
        count_field(scores.get(name, 0), path, line, "label_scores") for name in SCRUPLES_LABELS
    )
    if sum(counts) == 0:
        raise DatasetError(path, "every label count is zero", line=line, field="label_scores")
    return counts


def _dilemma(row: dict[str, Any], path: Path, line: int) -> ScruplesDilemma:
    actions = get_field(row, "actions", list, path, line)
    if len(actions) != 2:
        raise DatasetError(
            path, f"a dilemma has 2 actions, got {len(actions)}", line=line, field="actions"
        )
    descriptions = []
    for action in actions:
        description = action.get("description") if isinstance(action, dict) else None
        if not isinstance(description, str) or not description.strip():
            raise DatasetError(
                path,
                "each action needs a non-empty 'description'",
                line=line,
                field="actions",
            )
        descriptions.append(description.strip())
    annotations = get_field(row, "gold_annotations", list, path, line)
    if len(annotations) != 2:
        raise DatasetError(
            path,
            f"gold_annotations holds one count per action (2), got {len(annotations)}",
            line=line,
            field="gold_annotations",
        )
    counts = tuple(count_field(c, path, line, "gold_annotations") for c in annotations)
    if sum(counts) == 0:
        raise DatasetError(path, "both counts are zero", line=line, field="gold_annotations")
    gold = get_field(row, "gold_label", int, path, line)
    if gold not in (0, 1):
        raise DatasetError(
            path, f"gold_label must be 0 or 1, got {gold}", line=line, field="gold_label"
        )
    return ScruplesDilemma(
        id=str(get_field(row, "id", (str, int), path, line)),
        actions=(descriptions[0], descriptions[1]),
        gold_annotations=(counts[0], counts[1]),
        gold_label=gold,
        source=f"{path}:{line}",
    )


def _download_scruples(part: str) -> Path:  # pragma: no cover - network
    root = cache_dir() / "scruples"
    if not (root / part).is_dir():
        archive = root / f"{part}.tar.gz"
        download(f"{SCRUPLES_URL}/{part}.tar.gz", archive)
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
    return root
