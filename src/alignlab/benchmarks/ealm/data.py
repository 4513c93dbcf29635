"""Loaders for EALM's QA-ETHICS and MP-ETHICS (Wang et al., SIGIR-AP 2023).

EALM (Wang et al., SIGIR-AP 2023; ``wanng-ide/ealm``): MP-ETHICS is the
  authors' CSV ``mp-ethics_{split}-revised.csv`` (``input`` and one 0/1 column
  per concept: Commonsense, Deontology, Justice, Utilitarianism, Virtue; 1 =
  ethical under that concept). QA-ETHICS was announced but not published;
  alignlab reads it as ``qa-ethics_{split}.jsonl`` with ``id``, ``input``,
  ``concept`` and ``label`` (1 = ethical, 0 = unethical), a format of our own.

The bundled data (written by this project, same layouts; see ``data/CARD.md``)
is read when ``data_dir`` is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    cache_dir,
    cell,
    check_choice,
    class_label,
    data_root,
    download,
    family_data,
    find_file,
    get_field,
    is_hub,
    non_empty,
    read_csv,
    read_jsonl,
    refuse_hub,
    text_field,
)
from alignlab.errors import DatasetError

EALM_CONCEPTS = ("commonsense", "deontology", "justice", "utilitarianism", "virtue")
EALM_SPLITS = ("train", "test")

EALM_URL = "https://raw.githubusercontent.com/wanng-ide/ealm/main"

_MP_COLUMNS = ("input", "Commonsense", "Deontology", "Justice", "Utilitarianism", "Virtue")


@dataclass(frozen=True)
class QAEthicsItem:
    """One QA-ETHICS scenario: ``label`` 1 = ethical, 0 = unethical."""

    id: str
    input: str
    concept: str
    label: int
    source: str = ""


@dataclass(frozen=True)
class MPEthicsItem:
    """One MP-ETHICS scenario judged under every concept (1 = ethical), in EALM_CONCEPTS order."""

    index: int
    input: str
    labels: tuple[int, ...]
    source: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def bundled_ealm_dir() -> Path:
    """The folder of the EALM-layout dataset written by this project."""
    return family_data(__package__ or "alignlab.benchmarks.ealm")


def load_qa_ethics(data_dir: str | Path | None = None, split: str = "test") -> list[QAEthicsItem]:
    """Read QA-ETHICS (binary ethical judgment) as ``qa-ethics_{split}.jsonl``.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    check_choice(split, EALM_SPLITS, "split", "QA-ETHICS")
    refuse_hub(
        data_dir,
        "QA-ETHICS has not been published by its authors (github.com/wanng-ide/ealm); "
        "pass a folder holding qa-ethics_{split}.jsonl with --data-dir, or leave --data-dir "
        "out to use the bundled dataset",
    )
    name = f"qa-ethics_{split}.jsonl"
    path = find_file(
        data_root(data_dir, "alignlab.benchmarks.ealm"),
        [name],
        f"QA-ETHICS is read from {name} in the data directory",
    )
    items = [_qa_ethics_item(row, path, line) for line, row in read_jsonl(path)]
    return non_empty(items, path)


def _qa_ethics_item(row: dict[str, Any], path: Path, line: int) -> QAEthicsItem:
    concept = get_field(row, "concept", str, path, line).strip().lower()
    if concept not in EALM_CONCEPTS:
        raise DatasetError(
            path,
            f"concept must be one of {', '.join(EALM_CONCEPTS)}, got '{concept}'",
            line=line,
            field="concept",
        )
    label = get_field(row, "label", int, path, line)
    if label not in (0, 1):
        raise DatasetError(path, f"label must be 0 or 1, got {label}", line=line, field="label")
    return QAEthicsItem(
        id=str(get_field(row, "id", (str, int), path, line)),
        input=text_field(row, "input", path, line),
        concept=concept,
        label=label,
        source=f"{path}:{line}",
    )


def load_mp_ethics(data_dir: str | Path | None = None, split: str = "test") -> list[MPEthicsItem]:
    """Read MP-ETHICS (one scenario, five concepts) from the authors' CSV layout.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    check_choice(split, EALM_SPLITS, "split", "MP-ETHICS")
    # The authors' two files differ: mp-ethics_test-revised.csv, mp-ethics_train_revised.csv.
    names = [f"mp-ethics_{split}-revised.csv", f"mp-ethics_{split}_revised.csv"]
    if is_hub(data_dir):
        data_dir = _download_mp_ethics(names)  # pragma: no cover - network
    path = find_file(
        data_root(data_dir, "alignlab.benchmarks.ealm"),
        names,
        f"MP-ETHICS is read from {names[0]} in the data directory",
    )
    rows = enumerate(read_csv(path, ",", _MP_COLUMNS))
    items = [_mp_ethics_item(index, row, path, line) for index, (line, row) in rows]
    return non_empty(items, path)


def _mp_ethics_item(index: int, row: dict[str, str], path: Path, line: int) -> MPEthicsItem:
    labels = tuple(
        class_label(row[column], (0, 1), path, line, column) for column in _MP_COLUMNS[1:]
    )
    return MPEthicsItem(
        index=index,
        input=cell(row, "input", path, line),
        labels=labels,
        source=f"{path}:{line}",
        extra={k: v for k, v in row.items() if k not in _MP_COLUMNS},
    )


def _download_mp_ethics(names: Sequence[str]) -> Path:  # pragma: no cover - network
    root = cache_dir() / "ealm"
    for name in names:
        if (root / name).is_file():
            return root
        try:
            download(f"{EALM_URL}/{name}", root / name)
            return root
        except DatasetError:
            continue
    raise DatasetError(EALM_URL, f"none of {', '.join(names)} could be downloaded")
