"""TrustGPT data: social-norm actions with a moral label, demographic groups, prompt templates.

TrustGPT (Huang et al. 2023) draws its actions from Social-Chem-101. Two
layouts are read by :func:`load_norms`:

* alignlab's ``norms.jsonl`` (or ``.csv``) with ``id``, ``action`` (a gerund
  phrase that fits "... when {action}") and ``label`` (``good``, ``neutral``
  or ``bad``); the bundled file is written by this project (``data/CARD.md``);
* Social-Chem-101's published TSV (``social-chem-101.v1.0.tsv``), whose
  ``action`` column is the action and ``action-moral-judgment`` its mean
  crowd rating in -2..2; as in TrustGPT, below 0 is ``bad``, 0 ``neutral``,
  above 0 ``good``. Rows without an action or a rating are skipped (the file
  holds rules-of-thumb without actions); repeated actions are read once.

Groups (``groups.jsonl``: ``group``, ``axis``, ``article``) and prompt
templates (``templates.json``: kind -> variant -> text) are read from the
bundled folder, or from ``data_dir`` when it holds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    family_data,
    file_in,
    read_json,
    read_rows,
    required_text,
)
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.trustgpt"
NORM_FILES = ("norms.jsonl", "norms.csv", "social-chem-101.v1.0.tsv")
LABELS = ("good", "neutral", "bad")
KINDS = ("toxicity", "bias", "active", "passive")
CARD = "data/CARD.md of alignlab.benchmarks.trustgpt"


@dataclass(frozen=True)
class NormAction:
    """One social-norm action and its moral label (``good``, ``neutral`` or ``bad``)."""

    id: str
    action: str
    label: str
    source: str = ""


@dataclass(frozen=True)
class Group:
    """A demographic group as the bias prompt names it ("If you're {article} {group}, ...")."""

    group: str
    axis: str
    article: str


def load_norms(data_dir: str | Path | None = None) -> list[NormAction]:
    """Norm actions from the bundled file, a user's ``norms.jsonl``/``.csv``, or Social-Chem-101.

    Raises:
        DatasetError: the file is missing, a row is malformed, or ids repeat.
    """
    file = file_in(data_root(data_dir, PACKAGE), NORM_FILES, CARD)
    if file.suffix == ".tsv":
        return _social_chem(file)
    items = []
    for line_no, row in read_rows(file):
        label = required_text(row, "label", file, line_no).lower()
        if label not in LABELS:
            raise DatasetError(
                file, f"must be one of {', '.join(LABELS)}, got {label!r}", line_no, "label"
            )
        items.append(
            NormAction(
                id=required_text(row, "id", file, line_no),
                action=required_text(row, "action", file, line_no),
                label=label,
                source=f"{file}:{line_no}",
            )
        )
    check_unique_ids(file, items)
    return items


def _social_chem(file: Path) -> list[NormAction]:
    items: list[NormAction] = []
    seen: set[str] = set()
    for line_no, row in read_rows(file):
        action = str(row.get("action") or "").strip()
        raw = str(row.get("action-moral-judgment") or "").strip()
        if not action or not raw or action.lower() in seen:
            continue
        try:
            rating = float(raw)
        except ValueError:
            rating = math.nan
        if not -2 <= rating <= 2:
            raise DatasetError(
                file, f"must be a rating in -2..2, got {raw!r}", line_no, "action-moral-judgment"
            )
        seen.add(action.lower())
        label = "bad" if rating < 0 else "neutral" if rating == 0 else "good"
        items.append(NormAction(f"sc-{line_no}", action, label, f"{file}:{line_no}"))
    if not items:
        raise DatasetError(file, "holds no rows with both an action and action-moral-judgment")
    return items


def load_groups(data_dir: str | Path | None = None) -> list[Group]:
    """The demographic groups of the bias prompts (``groups.jsonl``), bundled unless ``data_dir``
    (a folder) holds its own.

    Raises:
        DatasetError: a row is malformed or a group repeats.
    """
    file = _own_or_bundled(data_dir, "groups.jsonl")
    groups = []
    for line_no, row in read_rows(file):
        groups.append(
            Group(
                group=required_text(row, "group", file, line_no),
                axis=required_text(row, "axis", file, line_no),
                article=str(row.get("article") or "a").strip(),
            )
        )
    names = [g.group for g in groups]
    if not groups or len(set(names)) != len(names):
        raise DatasetError(file, "needs at least one group, each named once")
    return groups


def load_templates(data_dir: str | Path | None = None) -> dict[str, dict[str, str]]:
    """Prompt templates, kind -> variant -> text (``templates.json``), bundled unless ``data_dir``
    (a folder) holds its own.

    Raises:
        DatasetError: a kind is missing or a template is not text.
    """
    file = _own_or_bundled(data_dir, "templates.json")
    raw = read_json(file)
    if not isinstance(raw, dict):
        raise DatasetError(file, "must hold an object: kind -> variant -> template")
    out: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        variants = raw.get(kind)
        if not isinstance(variants, dict) or not variants:
            raise DatasetError(file, f"needs an object of templates under '{kind}'", field=kind)
        if not all(isinstance(t, str) and t.strip() for t in variants.values()):
            raise DatasetError(file, "every template must be non-empty text", field=kind)
        out[kind] = dict(variants)
    return out


def load_refusal_phrases() -> tuple[str, ...]:
    """The bundled refusal phrases (lower case) that mark an answer as a refusal."""
    text = (family_data(PACKAGE) / "refusals.txt").read_text(encoding="utf-8")
    return tuple(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _own_or_bundled(data_dir: str | Path | None, name: str) -> Path:
    if data_dir is not None:
        own = Path(data_dir).expanduser() / name
        if own.is_file():
            return own
    return family_data(PACKAGE) / name
