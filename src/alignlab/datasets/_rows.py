"""What the dataset loaders share: where the data is, row readers, field checks.

Readers take JSON lines and CSV with a header. Errors are
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

import ast
import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from alignlab.errors import DatasetError


def bundled_data(name: str) -> Path:
    """The folder of the dataset ``name`` bundled with alignlab (``datasets/data/<name>``)."""
    return Path(str(resources.files("alignlab.datasets") / "data" / name))


def data_root(data_dir: str | Path | None, bundled: str) -> Path:
    """What a loader reads: ``data_dir`` (``~`` expanded), or the bundled dataset ``bundled``."""
    return bundled_data(bundled) if data_dir is None else Path(data_dir).expanduser()


def first_file(root: Path, names: Sequence[str]) -> Path | None:
    """The first of ``names`` (the layouts a dataset is published in) that is a file in ``root``."""
    return next((root / name for name in names if (root / name).is_file()), None)


def is_hub(data_dir: str | Path | None) -> bool:
    """Whether ``data_dir`` asks for the authors' hosted copy (``"hub"``) instead of a folder."""
    return data_dir is not None and str(data_dir) == "hub"


def read_rows(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(first line number, row) for each non-empty row of a JSON-lines or CSV file.

    A ``.jsonl`` suffix reads JSON lines; anything else is read as CSV with a
    header. ``OSError`` from opening or reading the file is not caught here.
    """
    try:
        if file.suffix == ".jsonl":
            with file.open(encoding="utf-8-sig") as handle:
                for line_no, line in enumerate(handle, start=1):
                    if line.strip():
                        yield line_no, json_object(file, line, line_no)
            return
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            next_line = 2
            while True:
                line_no = next_line
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as ex:
                    raise DatasetError(file, f"not valid CSV: {ex}", line=line_no) from ex
                # A quoted field can span lines: report the row's first physical line.
                next_line = reader.line_num + 1
                if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    yield line_no, {k: v for k, v in row.items() if k is not None}
    except UnicodeDecodeError as ex:
        raise DatasetError(file, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex


def json_object(file: Path, line: str, line_no: int) -> dict[str, Any]:
    """One JSON-lines line parsed as an object."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as ex:
        raise DatasetError(file, f"not valid JSON: {ex.msg}", line=line_no) from ex
    if not isinstance(row, dict):
        raise DatasetError(file, f"expected a JSON object, got {type(row).__name__}", line=line_no)
    return row


def read_json(file: Path) -> Any:
    """A whole JSON file (a published map or list of options), parsed."""
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as ex:
        raise DatasetError(file, f"not valid JSON: {ex.msg}", line=ex.lineno) from ex


def read_string_map(file: Path, expected: str) -> dict[str, str]:
    """A JSON object of names to text (group descriptions, a value map), keys and values stripped.

    ``expected`` says what the file must hold, for the error when it holds something else.
    """
    data = read_json(file)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise DatasetError(file, expected)
    return {k.strip(): v.strip() for k, v in data.items()}


def required_text(row: Mapping[str, Any], name: str, file: Path, line_no: int) -> str:
    """A field that must hold non-empty text, stripped; a numeric ``id`` is read as text."""
    value = row.get(name)
    if value is None:
        raise DatasetError(file, "the field is missing", line=line_no, field=name)
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "id":
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(
            file, f"the field must be non-empty text, got {value!r}", line=line_no, field=name
        )
    return value.strip()


def literal_list(raw: Any, file: Path, line_no: int, name: str, example: str) -> Any:
    """A list field as published: a stringified Python list (``"['a', 'b']"``) is parsed.

    Anything but a string is returned as it is (a JSON list needs no parsing),
    for the caller to check; ``example`` shows the expected form in the error.
    """
    if raw is None:
        raise DatasetError(file, "the field is missing", line=line_no, field=name)
    if not isinstance(raw, str):
        return raw
    try:
        return ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError) as ex:
        raise DatasetError(
            file,
            f'{name} must be a list such as "{example}", got {raw[:60]!r}',
            line=line_no,
            field=name,
        ) from ex


def source_line(source: str) -> int | None:
    """The line number at the end of an item's ``source`` (``file:line``), if it has one."""
    _, sep, tail = source.rpartition(":")
    return int(tail) if sep and tail.isdigit() else None


def read_table_rows(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like :func:`read_rows`, also reading Parquet (needs pyarrow), and raising
    :class:`~alignlab.errors.DatasetError` instead of ``OSError`` when the file cannot be read.

    Parquet rows are numbered from 1 like lines (Parquet has no header line).
    """
    if file.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as ex:
            raise DatasetError(
                file, "reading Parquet needs pyarrow: `pip install alignlab[hub]`, or export CSV"
            ) from ex
        yield from enumerate(pq.read_table(file).to_pylist(), start=1)
        return
    try:
        yield from read_rows(file)
    except OSError as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex


def file_in(root: Path, names: Sequence[str], card: str) -> Path:
    """The file ``root`` names, or the first of ``names`` in the directory ``root``.

    ``card`` says where the format is described, for the error.

    Raises:
        DatasetError: ``root`` does not exist, or is a directory holding none of ``names``.
    """
    if root.is_file():
        return root
    if root.is_dir():
        found = first_file(root, names)
        if found is not None:
            return found
        raise DatasetError(
            root,
            f"expected {' or '.join(names)} in this directory (see {card} for the format), "
            "or leave data_dir out to use the bundled data",
        )
    raise DatasetError(root, "file or directory not found")


def text_list(
    row: Mapping[str, Any], name: str, file: Path, line_no: int, at_least: int
) -> tuple[str, ...]:
    """A field that must hold a list of at least ``at_least`` non-empty strings, stripped."""
    value = row.get(name)
    if value is None:
        raise DatasetError(file, "the field is missing", line=line_no, field=name)
    if (
        not isinstance(value, list)
        or len(value) < at_least
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise DatasetError(
            file,
            f"must be a list of at least {at_least} non-empty strings, got {value!r}",
            line=line_no,
            field=name,
        )
    return tuple(v.strip() for v in value)


def check_unique_ids(file: Path, items: Sequence[Any]) -> None:
    """Refuse an empty file, or two items (with ``id`` and ``source``) sharing an id.

    Raises:
        DatasetError: no items, or a duplicate id (naming the line of the second).
    """
    if not items:
        raise DatasetError(file, "holds no rows")
    seen: dict[str, str] = {}
    for item in items:
        if item.id in seen:
            raise DatasetError(
                file,
                f"duplicate id '{item.id}' (first at {seen[item.id]})",
                line=source_line(item.source),
                field="id",
            )
        seen[item.id] = item.source
