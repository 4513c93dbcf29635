"""Loader for Delphi's Commonsense Norm Bank (Jiang et al. 2021/2025) in its published layout.

Commonsense Norm Bank (Jiang et al., Delphi; datasheet in ``liweijiang/delphi``)::

      freeform/{split}.freeform.tsv   input_sequence, class_label (-1 bad, 0 okay, 1 good),
                                      text_label, input_type, format, source
      yesno/{split}.yesno.tsv         input_sequence, class_label (1 agree, -1 disagree),
                                      text_label, input_type, source
      relative/{split}.relative.tsv   action_1, action_2, targets (1 or 2: the more
                                      acceptable action)

  The datasheet gives the columns and the ``train.``/``validation.``/``test.``
  prefixes; the release is gated behind a form, so the file names above are
  our reading of it. ``data_dir`` may also name one file directly.

The bundled data (written by this project, same layout; see ``data/CARD.md``)
is read when ``data_dir`` is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import (
    cell,
    check_choice,
    class_label,
    data_root,
    family_data,
    find_file,
    non_empty,
    read_csv,
    refuse_hub,
)

NORM_BANK_FORMATS = ("freeform", "yesno", "relative")
NORM_BANK_SPLITS = ("train", "validation", "test")

_NORM_BANK_COLUMNS = {
    "freeform": ("input_sequence", "class_label"),
    "yesno": ("input_sequence", "class_label"),
    "relative": ("action_1", "action_2", "targets"),
}
_NORM_BANK_CLASSES = {"freeform": (-1, 0, 1), "yesno": (-1, 1), "relative": (1, 2)}


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


def bundled_normbank_dir() -> Path:
    """The folder of the Norm Bank-layout dataset written by this project."""
    return family_data(__package__ or "alignlab.benchmarks.normbank")


def load_norm_bank(
    format: str, data_dir: str | Path | None = None, split: str = "test"
) -> list[NormBankItem]:
    """Read one Norm Bank format (``freeform``, ``yesno`` or ``relative``).

    ``data_dir`` is a directory in the layout of the module docstring, or one
    TSV file with that format's columns.

    Raises:
        DatasetError: the file is missing, or a row is malformed.
    """
    check_choice(format, NORM_BANK_FORMATS, "format", "norm bank")
    check_choice(split, NORM_BANK_SPLITS, "split", "norm bank")
    refuse_hub(
        data_dir,
        "the Commonsense Norm Bank is released only on request (see "
        "https://github.com/liweijiang/delphi); download it and pass its folder with "
        "--data-dir, or leave --data-dir out to use the bundled dataset",
    )
    name = f"{split}.{format}.tsv"
    path = find_file(
        data_root(data_dir, "alignlab.benchmarks.normbank"),
        [f"{format}/{name}", name],
        f"the Norm Bank layout expects {format}/{name} under the data directory (or pass the "
        "TSV file itself), or leave --data-dir out to use the bundled dataset",
    )
    rows = enumerate(read_csv(path, "\t", _NORM_BANK_COLUMNS[format]))
    items = [_norm_bank_item(format, index, row, path, line) for index, (line, row) in rows]
    return non_empty(items, path)


def _norm_bank_item(
    format: str, index: int, row: dict[str, str], path: Path, line: int
) -> NormBankItem:
    label_column = "targets" if format == "relative" else "class_label"
    label = class_label(row[label_column], _NORM_BANK_CLASSES[format], path, line, label_column)
    names = [c for c in _NORM_BANK_COLUMNS[format] if c != label_column]
    return NormBankItem(
        format=format,
        index=index,
        fields={name: cell(row, name, path, line) for name in names},
        label=label,
        text_label=(row.get("text_label") or "").strip(),
        source=f"{path}:{line}",
    )
