"""Tests for the one set of readers every family's loader uses (``alignlab.datasets._rows``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.datasets._rows import family_data, read_csv, read_jsonl, read_rows
from alignlab.errors import DatasetError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_rows_are_numbered_by_line_and_blank_lines_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.jsonl", '{"a": 1}\n\n{"a": 2}\n')
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (3, {"a": 2})]
    assert list(read_rows(path)) == [(1, {"a": 1}), (3, {"a": 2})]


def test_jsonl_line_that_is_not_an_object_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.jsonl", '{"a": 1}\n[1]\n')
    with pytest.raises(DatasetError, match="expected a JSON object") as info:
        list(read_jsonl(path))
    assert info.value.line == 2


def test_unreadable_or_undecodable_files_are_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot be read"):
        list(read_jsonl(tmp_path / "missing.jsonl"))
    with pytest.raises(DatasetError, match="cannot be read"):
        list(read_csv(tmp_path / "missing.csv"))
    latin = tmp_path / "a.csv"
    latin.write_bytes(b"a,b\n\xe9t\xe9,x\n")
    with pytest.raises(DatasetError, match="is not UTF-8 text"):
        list(read_csv(latin))


def test_csv_row_is_numbered_by_its_first_physical_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", 'a,b\n"two\nlines",x\n\ny,z\n')
    assert list(read_csv(path)) == [(2, {"a": "two\nlines", "b": "x"}), (5, {"a": "y", "b": "z"})]


def test_csv_short_row_is_padded_unless_columns_are_required(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", "a,b,c\n1\n")
    assert list(read_csv(path)) == [(2, {"a": "1", "b": None, "c": None})]
    with pytest.raises(DatasetError, match="the row has 1 fields, the header 3") as info:
        list(read_csv(path, ",", ("a", "b")))
    assert (info.value.line, info.value.field) == (2, "b")


def test_csv_header_must_hold_required_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.tsv", "a\tc\n1\t2\n")
    with pytest.raises(DatasetError, match="lacks the column 'b'.*tab-separated") as info:
        list(read_csv(path, "\t", ("a", "b")))
    assert (info.value.line, info.value.field) == (1, "b")
    with pytest.raises(DatasetError, match="the file is empty"):
        list(read_csv(_write(tmp_path, "e.csv", ""), ",", ("a",)))
    assert list(read_csv(_write(tmp_path, "f.csv", ""))) == []


def test_tsv_suffix_reads_tabs_and_a_headerless_file_names_its_columns(tmp_path: Path) -> None:
    assert list(read_rows(_write(tmp_path, "a.tsv", "a\tb\n1\t2\n"))) == [(2, {"a": "1", "b": "2"})]
    path = _write(tmp_path, "u.csv", "x,y\n")
    assert list(read_csv(path, header=("first", "second"))) == [(1, {"first": "x", "second": "y"})]


def test_family_data_is_the_family_packages_data_folder() -> None:
    assert family_data("alignlab.benchmarks.ethics").is_dir()
    assert family_data("alignlab.benchmarks.pluralism", "jury").is_dir()
