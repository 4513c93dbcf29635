"""The one place dataset loaders read files: where the data is, row readers, field checks.

One JSON-lines reader (:func:`read_jsonl`), one CSV/TSV reader (:func:`read_csv`),
Parquet (:func:`read_parquet`), and :func:`read_rows`, which picks one of them by
the file's suffix. Every family's ``data.py`` reads through these. Each error is a
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from alignlab.errors import DatasetError

_Item = TypeVar("_Item")  # an item type of one dataset (Anecdote, NormBankItem, ...)

Rows = Iterator[tuple[int, dict[str, Any]]]
"""(first line of the row, row) pairs, as every reader yields them."""

# --- where the data is -------------------------------------------------------------------------


def family_data(package: str, *parts: str) -> Path:
    """The bundled data folder of a family package (``alignlab.benchmarks.<family>``),
    or the sub-folder ``parts`` of it."""
    return Path(str(resources.files(package).joinpath("data", *parts)))


def data_root(data_dir: str | Path | None, package: str, *parts: str) -> Path:
    """What a loader reads: ``data_dir`` (``~`` expanded), or the family's bundled data
    (its sub-folder ``parts``)."""
    return family_data(package, *parts) if data_dir is None else Path(data_dir).expanduser()


def first_file(root: Path, names: Sequence[str]) -> Path | None:
    """The first of ``names`` (the layouts a dataset is published in) that is a file in ``root``."""
    return next((root / name for name in names if (root / name).is_file()), None)


def is_hub(data_dir: str | Path | None) -> bool:
    """Whether ``data_dir`` asks for the authors' hosted copy (``"hub"``) instead of a folder."""
    return data_dir is not None and str(data_dir) == "hub"


def refuse_hub(data_dir: str | Path | None, why: str) -> None:
    """Refuse ``data_dir="hub"`` for a dataset whose authors host no open copy; ``why`` says so."""
    if is_hub(data_dir):
        raise DatasetError("hub", why)


def check_choice(value: str, allowed: Sequence[str], what: str, dataset: str) -> None:
    """Refuse a split or format outside ``allowed``, naming the ones there are."""
    if value not in allowed:
        raise DatasetError(dataset, f"unknown {what} '{value}'; use one of {', '.join(allowed)}")


def find_file(root: Path, candidates: Sequence[str], hint: str) -> Path:
    """``root`` itself when it is a file, else the first of ``candidates`` under it;
    ``hint`` says what the layout expects when none is there."""
    if root.is_file():
        return root
    path = first_file(root, candidates)
    if path is None:
        raise DatasetError(root / candidates[0], f"file not found: {hint}.")
    return path


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


# --- readers -----------------------------------------------------------------------------------


def read_rows(file: Path) -> Rows:
    """(first line number, row) for each non-empty row of a JSON-lines, CSV, TSV or Parquet file.

    The suffix picks the reader: ``.jsonl`` :func:`read_jsonl`, ``.parquet``
    :func:`read_parquet`, ``.tsv`` tab-separated :func:`read_csv`, anything else
    comma-separated :func:`read_csv` (with a header; a short row's missing cells are None).
    """
    if file.suffix == ".jsonl":
        return read_jsonl(file)
    if file.suffix == ".parquet":
        return read_parquet(file)
    return read_csv(file, "\t" if file.suffix == ".tsv" else ",")


def read_jsonl(file: Path) -> Rows:
    """(line number, object) for every non-blank line of a JSON-lines file."""
    try:
        handle = file.open(encoding="utf-8-sig")
    except OSError as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex
    with handle:
        try:
            for line_no, line in enumerate(handle, start=1):
                if line.strip():
                    yield line_no, json_object(file, line, line_no)
        except UnicodeDecodeError as ex:
            raise DatasetError(file, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex
        except OSError as ex:
            raise DatasetError(file, f"cannot be read: {ex}") from ex


def json_object(file: Path, line: str, line_no: int) -> dict[str, Any]:
    """One JSON-lines line parsed as an object."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as ex:
        raise DatasetError(file, f"not valid JSON: {ex.msg}", line=line_no) from ex
    if not isinstance(row, dict):
        raise DatasetError(file, f"expected a JSON object, got {type(row).__name__}", line=line_no)
    return row


def read_csv(
    file: Path,
    delimiter: str = ",",
    required: Sequence[str] = (),
    *,
    header: Sequence[str] | None = None,
    needs: str | None = None,
    skip: int = 0,
) -> Rows:
    """(first line of the row, {column: cell}) for every non-blank row of a CSV/TSV file.

    ``skip`` rows before the header are passed over (comment lines above the
    table, as in PacifAIst's CSV); line numbers stay the file's own. The first
    line read is the header, unless ``header`` names the columns of a file
    without one. With ``required`` columns, the header must hold each of them
    (``needs`` says who needs them, for the error; by default "this comma-separated
    file needs") and a row shorter than the header is refused; without, a short
    row's missing cells are None. A quoted cell can span lines: a row is numbered
    by its first physical line.
    """
    try:
        handle = file.open(newline="", encoding="utf-8-sig")
    except OSError as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for _ in range(skip):
                _next_csv_row(file, reader, reader.line_num + 1)
            yield from _csv_rows(file, reader, delimiter, required, header, needs)
        except UnicodeDecodeError as ex:
            raise DatasetError(file, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex


def _csv_rows(
    file: Path,
    reader: Any,
    delimiter: str,
    required: Sequence[str],
    header: Sequence[str] | None,
    needs: str | None,
) -> Rows:
    if header is None:
        first = _next_csv_row(file, reader, 1)
        if first is None:
            if required:
                raise DatasetError(file, "the file is empty", line=1)
            return
        header = first
    columns = [name.strip() for name in header]
    for name in required:
        if name not in columns:
            kind = "tab-separated" if delimiter == "\t" else "comma-separated"
            raise DatasetError(
                file,
                f"the header lacks the column '{name}' (found: {', '.join(header)}); "
                f"{needs or f'this {kind} file needs'} {', '.join(required)}",
                line=1,
                field=name,
            )
    while True:
        start = reader.line_num + 1
        row = _next_csv_row(file, reader, start)
        if row is None:
            return
        if not row or all(not cell.strip() for cell in row):
            continue
        cells: list[str | None] = list(row)
        if len(row) < len(columns):
            if required:
                raise DatasetError(
                    file,
                    f"the row has {len(row)} fields, the header {len(columns)}",
                    line=start,
                    field=columns[len(row)],
                )
            cells += [None] * (len(columns) - len(row))
        yield start, dict(zip(columns, cells, strict=False))


def _next_csv_row(file: Path, reader: Iterator[list[str]], line_no: int) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as ex:
        raise DatasetError(file, f"not valid CSV: {ex}", line=line_no) from ex


def read_parquet(file: Path) -> Rows:
    """The rows of a Parquet file (needs pyarrow), numbered from 1 like lines (no header line)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as ex:
        raise DatasetError(
            file, "reading Parquet needs pyarrow: `pip install alignlab[hub]`, or export CSV"
        ) from ex
    try:
        table = pq.read_table(file)
    except OSError as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex
    yield from enumerate(table.to_pylist(), start=1)


def read_json(file: Path) -> Any:
    """A whole JSON file (a published map or list of options), parsed."""
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as ex:
        raise DatasetError(file, f"not valid JSON: {ex.msg}", line=ex.lineno) from ex
    except UnicodeDecodeError as ex:
        raise DatasetError(file, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex
    except OSError as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex


def read_json_array(file: Path) -> Rows:
    """(line number where the element starts, object) for each element of a JSON file holding
    one array of objects (the layout of many published releases), so errors can name a line."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as ex:
        raise DatasetError(file, f"is not UTF-8 text ({ex}); save it as UTF-8") from ex
    except OSError as ex:
        raise DatasetError(file, f"cannot be read: {ex}") from ex
    decoder = json.JSONDecoder()
    at = len(text) - len(text.lstrip())
    if not text.startswith("[", at):
        raise DatasetError(file, "must hold one JSON array of objects", line=1)
    at += 1
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text):
            raise DatasetError(file, "the JSON array is not closed", line=text.count("\n") + 1)
        if text[at] == "]":
            return
        line_no = text.count("\n", 0, at) + 1
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as ex:
            raise DatasetError(file, f"not valid JSON: {ex.msg}", line=ex.lineno) from ex
        if not isinstance(value, dict):
            raise DatasetError(file, "each element must be a JSON object", line=line_no)
        yield line_no, value


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


# --- fields ------------------------------------------------------------------------------------


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


def get_field(row: Mapping[str, Any], name: str, kind: Any, path: Path, line: int) -> Any:
    """A field that must be present and of type ``kind`` (a type or a tuple of types; not bool)."""
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


def text_field(row: Mapping[str, Any], name: str, path: Path, line: int) -> str:
    """A field that must hold non-empty text (a JSON string), stripped."""
    value = get_field(row, name, str, path, line).strip()
    if not value:
        raise DatasetError(path, "the field is empty", line=line, field=name)
    return str(value)


def count_field(value: Any, path: Path, line: int, name: str) -> int:
    """``value`` of the field ``name``, refused unless a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DatasetError(
            path, f"counts must be non-negative integers, got {value!r}", line=line, field=name
        )
    return value


def cell(row: Mapping[str, str], name: str, path: Path, line: int) -> str:
    """A CSV/TSV cell of a required column that must not be blank, stripped."""
    value = row[name].strip()
    if not value:
        raise DatasetError(path, "the field is empty", line=line, field=name)
    return value


def class_label(raw: str, allowed: Sequence[int], path: Path, line: int, name: str) -> int:
    """A cell holding an integer class label, refused unless one of ``allowed``."""
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


def non_empty(items: list[_Item], path: Path) -> list[_Item]:
    """``items``, refusing a file that held no rows."""
    if not items:
        raise DatasetError(path, "holds no rows")
    return items


def source_line(source: str) -> int | None:
    """The line number at the end of an item's ``source`` (``file:line``), if it has one."""
    _, sep, tail = source.rpartition(":")
    return int(tail) if sep and tail.isdigit() else None


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


# --- the authors' hosted copies ---------------------------------------------------------------


def cache_dir() -> Path:  # pragma: no cover - network
    """Where downloads of the authors' copies are kept (``$ALIGNLAB_CACHE``)."""
    return Path(os.environ.get("ALIGNLAB_CACHE", Path.home() / ".cache" / "alignlab"))


def download(url: str, dest: Path) -> None:  # pragma: no cover - network
    """Fetch ``url`` to ``dest`` (through a ``.part`` file); refused when HF_HUB_OFFLINE=1."""
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
