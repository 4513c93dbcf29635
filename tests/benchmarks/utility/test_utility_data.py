"""Tests for alignlab.benchmarks.utility.data: outcomes, bundled, published, broken."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from alignlab.benchmarks.utility.data import OUTCOME_FILES, load_outcomes, outcomes_file
from alignlab.errors import DatasetError

UTILITY_PUBLIC = Path(__file__).resolve().parent / "fixtures"


# --- outcomes -------------------------------------------------------------------------------


def test_bundled_outcomes_cover_the_categories_and_three_quantity_families() -> None:
    outcomes = load_outcomes()
    assert len(outcomes) >= 40
    assert len({o.id for o in outcomes}) == len(outcomes)
    categories = Counter(o.category for o in outcomes)
    assert set(categories) == {"everyday", "people", "animals", "ai", "quantity"}
    families: dict[str, list[float]] = {}
    for o in outcomes:
        if o.good is not None:
            assert o.quantity is not None and str(int(o.quantity)) in o.text
            families.setdefault(o.good, []).append(o.quantity)
    assert len(families) == 3
    assert all(sorted(q) == [1, 10, 100, 1000] for q in families.values())


def test_published_flat_list() -> None:
    outcomes = load_outcomes(UTILITY_PUBLIC / "options.json")
    assert [o.id for o in outcomes] == ["o0", "o1", "o2", "o3"]
    assert outcomes[2].text == "A hiker is rescued after a fall."
    assert all(o.category == "" and o.quantity is None for o in outcomes)


def test_published_hierarchical_options_keep_their_category() -> None:
    outcomes = load_outcomes(UTILITY_PUBLIC / "options_hierarchical.json")
    assert [(o.id, o.category) for o in outcomes] == [
        ("o0", "personal"),
        ("o1", "personal"),
        ("o2", "society"),
        ("o3", "society"),
        ("o4", "society"),
    ]


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = [{"id": "a", "text": "One."}, {"id": "b", "text": "Two."}]


@pytest.mark.parametrize(
    ("rows", "line", "field", "message"),
    [
        ([*GOOD, {"text": "Three."}], 3, "id", "needs an id"),
        ([*GOOD, {"id": "c", "text": "  "}], 3, "text", "non-empty"),
        ([*GOOD, {"id": "a", "text": "Three."}], 3, "id", "duplicate id 'a'"),
        ([*GOOD, {"id": "c", "text": "One."}], 3, "text", "appears twice"),
        ([*GOOD, {"id": "c", "text": "3 x.", "quantity": 3}], 3, "good", "both 'quantity'"),
        ([*GOOD, {"id": "c", "text": "x.", "good": "x"}], 3, "quantity", "both 'quantity'"),
        (
            [*GOOD, {"id": "c", "text": "x.", "quantity": -1, "good": "x"}],
            3,
            "quantity",
            "positive",
        ),
        (
            [*GOOD, {"id": "c", "text": "x.", "quantity": "ten", "good": "x"}],
            3,
            "quantity",
            "number",
        ),
        ([GOOD[0], ["not", "an", "object"]], 2, None, "JSON object"),
    ],
)
def test_bad_outcome_rows_name_file_line_and_field(
    tmp_path: Path, rows: list[object], line: int, field: str | None, message: str
) -> None:
    path = _jsonl(tmp_path / "outcomes.jsonl", rows)
    with pytest.raises(DatasetError, match=message) as info:
        load_outcomes(path)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert info.value.field == field


def test_invalid_json_line(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.jsonl"
    path.write_text('{"id": "a", "text": "One."}\n{"id": "b", "text": \n', encoding="utf-8")
    with pytest.raises(DatasetError, match="not valid JSON") as info:
        load_outcomes(path)
    assert info.value.line == 2


def test_hierarchical_category_must_hold_a_list(tmp_path: Path) -> None:
    path = tmp_path / "options.json"
    path.write_text(json.dumps({"a": ["x", "y"], "b": "z"}), encoding="utf-8")
    with pytest.raises(DatasetError, match="'b' holds str") as info:
        load_outcomes(path)
    assert info.value.field == "b"


def test_too_few_outcomes_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="at least 2"):
        load_outcomes(_jsonl(tmp_path / "one.jsonl", GOOD[:1]))
    with pytest.raises(DatasetError, match="file not found"):
        load_outcomes(tmp_path / "missing.jsonl")


def test_data_dir_may_be_a_directory_holding_an_outcomes_file(tmp_path: Path) -> None:
    assert outcomes_file(UTILITY_PUBLIC) == UTILITY_PUBLIC / "options_hierarchical.json"
    assert OUTCOME_FILES[0] == "outcomes.jsonl"
    assert len(load_outcomes(str(UTILITY_PUBLIC))) == 5
    with pytest.raises(DatasetError, match="holds no outcomes file"):
        load_outcomes(tmp_path)
