"""Loaders for moral-judgment datasets in their published layouts: Scruples, Norm Bank, EALM.

Each loader reads the dataset bundled with alignlab (written by the project,
same layout; see the ``CARD.md`` beside each), a local directory holding the
published files, or, where the authors host the files openly, downloads them
(``data_dir="hub"``; needs network, never used in tests).

Layouts:

* Scruples (Lourie et al., AAAI 2021; README files of the v1.0 archives)::

      anecdotes/{split}.scruples-anecdotes.jsonl   id, post_id, action, title, text,
                                                   post_type, label_scores, label,
                                                   binarized_label_scores, binarized_label
      dilemmas/{split}.scruples-dilemmas.jsonl     id, actions[2]{id, description},
                                                   gold_annotations[2], gold_label, ...

  ``label_scores`` counts community comments per label (AUTHOR, OTHER,
  EVERYBODY, NOBODY, INFO); ``gold_annotations`` counts annotators who chose
  each action as the *less* ethical one. ``split`` is train, dev or test.

* Commonsense Norm Bank (Jiang et al., Delphi; datasheet in ``liweijiang/delphi``)::

      freeform/{split}.freeform.tsv   input_sequence, class_label (-1 bad, 0 okay, 1 good),
                                      text_label, input_type, format, source
      yesno/{split}.yesno.tsv         input_sequence, class_label (1 agree, -1 disagree),
                                      text_label, input_type, source
      relative/{split}.relative.tsv   action_1, action_2, targets (1 or 2: the more
                                      acceptable action)

  The datasheet gives the columns and the ``train.``/``validation.``/``test.``
  prefixes; the release is gated behind a form, so the file names above are
  our reading of it. ``data_dir`` may also name one file directly.

* EALM (Wang et al., SIGIR-AP 2023; ``wanng-ide/ealm``): MP-ETHICS is the
  authors' CSV ``mp-ethics_{split}-revised.csv`` (``input`` and one 0/1 column
  per concept: Commonsense, Deontology, Justice, Utilitarianism, Virtue; 1 =
  ethical under that concept). QA-ETHICS was announced but not published;
  alignlab reads it as ``qa-ethics_{split}.jsonl`` with ``id``, ``input``,
  ``concept`` and ``label`` (1 = ethical, 0 = unethical), a format of our own.

Every malformed row raises :class:`~alignlab.errors.DatasetError` naming the
file, the line and the field.
"""

from __future__ import annotations

import csv
import json
import os
import tarfile
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alignlab.datasets._rows import bundled_data, data_root, first_file, is_hub
from alignlab.errors import DatasetError

SCRUPLES_LABELS = ("AUTHOR", "OTHER", "EVERYBODY", "NOBODY", "INFO")
BINARIZED_LABELS = ("RIGHT", "WRONG")
SCRUPLES_SPLITS = ("train", "dev", "test")
NORM_BANK_FORMATS = ("freeform", "yesno", "relative")
NORM_BANK_SPLITS = ("train", "validation", "test")
EALM_CONCEPTS = ("commonsense", "deontology", "justice", "utilitarianism", "virtue")
EALM_SPLITS = ("train", "test")

SCRUPLES_URL = "https://storage.googleapis.com/ai2-mosaic-public/projects/scruples/v1.0/data"
EALM_URL = "https://raw.githubusercontent.com/wanng-ide/ealm/main"

# Which binarised label each Scruples label counts towards (INFO counts for neither).
_BINARIZED = {"AUTHOR": "WRONG", "EVERYBODY": "WRONG", "OTHER": "RIGHT", "NOBODY": "RIGHT"}
_NORM_BANK_COLUMNS = {
    "freeform": ("input_sequence", "class_label"),
    "yesno": ("input_sequence", "class_label"),
    "relative": ("action_1", "action_2", "targets"),
}
_NORM_BANK_CLASSES = {"freeform": (-1, 0, 1), "yesno": (-1, 1), "relative": (1, 2)}
_MP_COLUMNS = ("input", "Commonsense", "Deontology", "Justice", "Utilitarianism", "Virtue")
_Item = TypeVar("_Item")  # an item type of one dataset (Anecdote, NormBankItem, ...)


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


@dataclass(frozen=True)
class NormBankItem:
    """One Norm Bank row.

    ``fields`` holds ``input_sequence`` (free-form, yes/no) or ``action_1`` and
    ``action_2`` (relative). ``label`` is the published class: -1/0/1 (bad,
    okay, good) for free-form, 1/-1 (agree, disagree) for yes/no, 1/2 (the
    more acceptable action) for relative.
    """

    format: str
    index: int
    fields: dict[str, str]
    label: int
    text_label: str = ""
    source: str = ""


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


def bundled_judgment_dir(name: str) -> Path:
    """The bundled dataset folder ``name`` (``scruples``, ``normbank`` or ``ealm``)."""
    return bundled_data(name)


# --- Scruples ---------------------------------------------------------------------------


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
    _check_choice(split, SCRUPLES_SPLITS, "split", "scruples")
    path = _scruples_file(data_dir, part, f"{split}.scruples-{part}.jsonl")
    return _non_empty([read(row, path, line) for line, row in _read_jsonl(path)], path)


def _scruples_file(data_dir: str | Path | None, part: str, name: str) -> Path:
    if is_hub(data_dir):
        data_dir = _download_scruples(part)  # pragma: no cover - network
    root = data_root(data_dir, "scruples")
    return _find(
        root,
        [f"{part}/{name}", name],
        f"the Scruples layout expects {part}/{name} under the data directory; extract the "
        f"published {part}.tar.gz there, or leave --data-dir out to use the bundled dataset",
    )


def _anecdote(row: dict[str, Any], path: Path, line: int) -> Anecdote:
    scores = _label_counts(_get(row, "label_scores", dict, path, line), path, line)
    label = _get(row, "label", str, path, line)
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
        id=str(_get(row, "id", (str, int), path, line)),
        title=_text(row, "title", path, line),
        text=_get(row, "text", str, path, line).strip(),
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
        _count(scores.get(name, 0), path, line, "label_scores") for name in SCRUPLES_LABELS
    )
    if sum(counts) == 0:
        raise DatasetError(path, "every label count is zero", line=line, field="label_scores")
    return counts


def _dilemma(row: dict[str, Any], path: Path, line: int) -> ScruplesDilemma:
    actions = _get(row, "actions", list, path, line)
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
    annotations = _get(row, "gold_annotations", list, path, line)
    if len(annotations) != 2:
        raise DatasetError(
            path,
            f"gold_annotations holds one count per action (2), got {len(annotations)}",
            line=line,
            field="gold_annotations",
        )
    counts = tuple(_count(c, path, line, "gold_annotations") for c in annotations)
    if sum(counts) == 0:
        raise DatasetError(path, "both counts are zero", line=line, field="gold_annotations")
    gold = _get(row, "gold_label", int, path, line)
    if gold not in (0, 1):
        raise DatasetError(
            path, f"gold_label must be 0 or 1, got {gold}", line=line, field="gold_label"
        )
    return ScruplesDilemma(
        id=str(_get(row, "id", (str, int), path, line)),
        actions=(descriptions[0], descriptions[1]),
        gold_annotations=(counts[0], counts[1]),
        gold_label=gold,
        source=f"{path}:{line}",
    )


def _download_scruples(part: str) -> Path:  # pragma: no cover - network
    root = _cache_dir() / "scruples"
    if not (root / part).is_dir():
        archive = root / f"{part}.tar.gz"
        _download(f"{SCRUPLES_URL}/{part}.tar.gz", archive)
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
    return root


# --- Commonsense Norm Bank --------------------------------------------------------------


def load_norm_bank(
    format: str, data_dir: str | Path | None = None, split: str = "test"
) -> list[NormBankItem]:
    """Read one Norm Bank format (``freeform``, ``yesno`` or ``relative``).

    ``data_dir`` is a directory in the layout of the module docstring, or one
    TSV file with that format's columns.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    _check_choice(format, NORM_BANK_FORMATS, "format", "norm bank")
    _check_choice(split, NORM_BANK_SPLITS, "split", "norm bank")
    _refuse_hub(
        data_dir,
        "the Commonsense Norm Bank is released only on request (see "
        "https://github.com/liweijiang/delphi); download it and pass its folder with "
        "--data-dir, or leave --data-dir out to use the bundled dataset",
    )
    name = f"{split}.{format}.tsv"
    path = _find(
        data_root(data_dir, "normbank"),
        [f"{format}/{name}", name],
        f"the Norm Bank layout expects {format}/{name} under the data directory (or pass the "
        "TSV file itself), or leave --data-dir out to use the bundled dataset",
    )
    rows = enumerate(_read_table(path, "\t", _NORM_BANK_COLUMNS[format]))
    items = [_norm_bank_item(format, index, row, path, line) for index, (line, row) in rows]
    return _non_empty(items, path)


def _norm_bank_item(
    format: str, index: int, row: dict[str, str], path: Path, line: int
) -> NormBankItem:
    label_column = "targets" if format == "relative" else "class_label"
    label = _class(row[label_column], _NORM_BANK_CLASSES[format], path, line, label_column)
    names = [c for c in _NORM_BANK_COLUMNS[format] if c != label_column]
    return NormBankItem(
        format=format,
        index=index,
        fields={name: _cell(row, name, path, line) for name in names},
        label=label,
        text_label=(row.get("text_label") or "").strip(),
        source=f"{path}:{line}",
    )


# --- EALM: QA-ETHICS and MP-ETHICS ------------------------------------------------------


def load_qa_ethics(data_dir: str | Path | None = None, split: str = "test") -> list[QAEthicsItem]:
    """Read QA-ETHICS (binary ethical judgment) as ``qa-ethics_{split}.jsonl``.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    _check_choice(split, EALM_SPLITS, "split", "QA-ETHICS")
    _refuse_hub(
        data_dir,
        "QA-ETHICS has not been published by its authors (github.com/wanng-ide/ealm); "
        "pass a folder holding qa-ethics_{split}.jsonl with --data-dir, or leave --data-dir "
        "out to use the bundled dataset",
    )
    name = f"qa-ethics_{split}.jsonl"
    path = _find(
        data_root(data_dir, "ealm"), [name], f"QA-ETHICS is read from {name} in the data directory"
    )
    items = [_qa_ethics_item(row, path, line) for line, row in _read_jsonl(path)]
    return _non_empty(items, path)


def _qa_ethics_item(row: dict[str, Any], path: Path, line: int) -> QAEthicsItem:
    concept = _get(row, "concept", str, path, line).strip().lower()
    if concept not in EALM_CONCEPTS:
        raise DatasetError(
            path,
            f"concept must be one of {', '.join(EALM_CONCEPTS)}, got '{concept}'",
            line=line,
            field="concept",
        )
    label = _get(row, "label", int, path, line)
    if label not in (0, 1):
        raise DatasetError(path, f"label must be 0 or 1, got {label}", line=line, field="label")
    return QAEthicsItem(
        id=str(_get(row, "id", (str, int), path, line)),
        input=_text(row, "input", path, line),
        concept=concept,
        label=label,
        source=f"{path}:{line}",
    )


def load_mp_ethics(data_dir: str | Path | None = None, split: str = "test") -> list[MPEthicsItem]:
    """Read MP-ETHICS (one scenario, five concepts) from the authors' CSV layout.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    _check_choice(split, EALM_SPLITS, "split", "MP-ETHICS")
    # The authors' two files differ: mp-ethics_test-revised.csv, mp-ethics_train_revised.csv.
    names = [f"mp-ethics_{split}-revised.csv", f"mp-ethics_{split}_revised.csv"]
    if is_hub(data_dir):
        data_dir = _download_mp_ethics(names)  # pragma: no cover - network
    path = _find(
        data_root(data_dir, "ealm"),
        names,
        f"MP-ETHICS is read from {names[0]} in the data directory",
    )
    rows = enumerate(_read_table(path, ",", _MP_COLUMNS))
    items = [_mp_ethics_item(index, row, path, line) for index, (line, row) in rows]
    return _non_empty(items, path)


def _mp_ethics_item(index: int, row: dict[str, str], path: Path, line: int) -> MPEthicsItem:
    labels = tuple(_class(row[column], (0, 1), path, line, column) for column in _MP_COLUMNS[1:])
    return MPEthicsItem(
        index=index,
        input=_cell(row, "input", path, line),
        labels=labels,
        source=f"{path}:{line}",
        extra={k: v for k, v in row.items() if k not in _MP_COLUMNS},
    )


def _download_mp_ethics(names: Sequence[str]) -> Path:  # pragma: no cover - network
    root = _cache_dir() / "ealm"
    for name in names:
        if (root / name).is_file():
            return root
        try:
            _download(f"{EALM_URL}/{name}", root / name)
            return root
        except DatasetError:
            continue
    raise DatasetError(EALM_URL, f"none of {', '.join(names)} could be downloaded")


# --- shared reading helpers -------------------------------------------------------------


def _refuse_hub(data_dir: str | Path | None, why: str) -> None:
    """Refuse ``data_dir="hub"`` for a dataset whose authors host no open copy; ``why`` says so."""
    if is_hub(data_dir):
        raise DatasetError("hub", why)


def _check_choice(value: str, allowed: Sequence[str], what: str, dataset: str) -> None:
    if value not in allowed:
        raise DatasetError(dataset, f"unknown {what} '{value}'; use one of {', '.join(allowed)}")


def _find(root: Path, candidates: Sequence[str], hint: str) -> Path:
    if root.is_file():
        return root
    path = first_file(root, candidates)
    if path is None:
        raise DatasetError(root / candidates[0], f"file not found: {hint}.")
    return path


def _non_empty(items: list[_Item], path: Path) -> list[_Item]:
    if not items:
        raise DatasetError(path, "holds no rows")
    return items


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a JSON-lines file."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as ex:
        raise DatasetError(path, f"cannot be read: {ex}") from ex
    with handle:
        try:
            lines = list(handle)
        except UnicodeDecodeError as ex:
            raise DatasetError(path, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as ex:
            raise DatasetError(path, f"not valid JSON: {ex.msg}", line=number) from ex
        if not isinstance(row, dict):
            raise DatasetError(path, "each line must be a JSON object", line=number)
        yield number, row


def _read_table(
    path: Path, delimiter: str, required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line of the row, {column: cell}) for every non-blank row of a CSV/TSV with header."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as ex:
        raise DatasetError(path, f"cannot be read: {ex}") from ex
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise DatasetError(path, "the file is empty", line=1) from None
        except (csv.Error, UnicodeDecodeError) as ex:
            raise DatasetError(path, f"cannot be parsed: {ex}", line=1) from ex
        for name in required:
            if name not in header:
                kind = "tab-separated" if delimiter == "\t" else "comma-separated"
                raise DatasetError(
                    path,
                    f"the header lacks the column '{name}' (found: {', '.join(header)}); this "
                    f"{kind} file needs {', '.join(required)}",
                    line=1,
                    field=name,
                )
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as ex:
                raise DatasetError(path, f"cannot be parsed: {ex}", line=start) from ex
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                missing = header[len(row)]
                raise DatasetError(
                    path,
                    f"the row has {len(row)} fields, the header {len(header)}",
                    line=start,
                    field=missing,
                )
            yield start, dict(zip(header, row, strict=False))


def _get(row: dict[str, Any], name: str, kind: Any, path: Path, line: int) -> Any:
    if name not in row or row[name] is None:
        raise DatasetError(path, "the field is missing", line=line, field=name)
    value = row[name]
    # bool is an int subclass: a JSON true is not a label.
    if isinstance(value, bool) or not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = " or ".join(k.__name__ for k in kinds)
        raise DatasetError(
            path, f"expected {expected}, got {type(value).__name__}", line=line, field=name
        )
    return value


def _text(row: dict[str, Any], name: str, path: Path, line: int) -> str:
    value = _get(row, name, str, path, line).strip()
    if not value:
        raise DatasetError(path, "the field is empty", line=line, field=name)
    return str(value)


def _count(value: Any, path: Path, line: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DatasetError(
            path, f"counts must be non-negative integers, got {value!r}", line=line, field=name
        )
    return value


def _cell(row: dict[str, str], name: str, path: Path, line: int) -> str:
    value = row[name].strip()
    if not value:
        raise DatasetError(path, "the field is empty", line=line, field=name)
    return value


def _class(raw: str, allowed: Sequence[int], path: Path, line: int, name: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value not in allowed:
        raise DatasetError(
            path,
            f"must be one of {', '.join(map(str, allowed))}, got '{raw}'",
            line=line,
            field=name,
        )
    return value


def _cache_dir() -> Path:  # pragma: no cover - network
    return Path(os.environ.get("ALIGNLAB_CACHE", Path.home() / ".cache" / "alignlab"))


def _download(url: str, dest: Path) -> None:  # pragma: no cover - network
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise DatasetError(url, "not downloaded: HF_HUB_OFFLINE=1 forbids network access")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except OSError as ex:
        raise DatasetError(
            url, f"download failed ({ex}); download it by hand and pass --data-dir"
        ) from ex
    partial.replace(dest)
