"""Row readers shared by the dataset loaders: JSON lines and CSV with a header.

Errors are :class:`~alignlab.errors.DatasetError` naming the file and the line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alignlab.errors import DatasetError


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
