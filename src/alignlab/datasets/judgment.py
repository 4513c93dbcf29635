"""Readers shared by the moral-judgment families (Scruples, Norm Bank, EALM): JSONL and
CSV/TSV rows, field checks, downloads of the authors' open copies.

Every malformed row raises :class:`~alignlab.errors.DatasetError` naming the
file, the line and the field.
"""

from __future__ import annotations

import csv
import json
import os
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from alignlab.datasets._rows import first_file, is_hub
from alignlab.errors import DatasetError

_Item = TypeVar("_Item")  # an item type of one dataset (Anecdote, NormBankItem, ...)


def family_data(package: str) -> Path:
    """The bundled data folder of a family package (``alignlab.benchmarks.<family>``)."""
    from importlib import resources

    return Path(str(resources.files(package) / "data"))


def data_root(data_dir: str | Path | None, package: str) -> Path:
    """What a loader reads: ``data_dir`` (``~`` expanded), or the family's bundled data."""
    return family_data(package) if data_dir is None else Path(data_dir).expanduser()


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


def non_empty(items: list[_Item], path: Path) -> list[_Item]:
    """``items``, refusing a file that held no rows."""
    if not items:
        raise DatasetError(path, "holds no rows")
    return items


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
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


def read_table(
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


def get_field(row: dict[str, Any], name: str, kind: Any, path: Path, line: int) -> Any:
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


def text_field(row: dict[str, Any], name: str, path: Path, line: int) -> str:
    value = get_field(row, name, str, path, line).strip()
    if not value:
        raise DatasetError(path, "the field is empty", line=line, field=name)
    return str(value)


def count_field(value: Any, path: Path, line: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DatasetError(
            path, f"counts must be non-negative integers, got {value!r}", line=line, field=name
        )
    return value


def cell(row: dict[str, str], name: str, path: Path, line: int) -> str:
    value = row[name].strip()
    if not value:
        raise DatasetError(path, "the field is empty", line=line, field=name)
    return value


def class_label(raw: str, allowed: Sequence[int], path: Path, line: int, name: str) -> int:
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


def cache_dir() -> Path:  # pragma: no cover - network
    return Path(os.environ.get("ALIGNLAB_CACHE", Path.home() / ".cache" / "alignlab"))


def download(url: str, dest: Path) -> None:  # pragma: no cover - network
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
