"""Tests for alignlab.benchmarks.litmus.data: AIRiskDilemmas, bundled, published, broken."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from alignlab.benchmarks.litmus.data import VALUE_CLASSES, load_dilemmas, load_value_map
from alignlab.errors import DatasetError

AIRISK_PUBLIC = Path(__file__).resolve().parent / "fixtures"


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- AIRiskDilemmas -----------------------------------------------------------------------


def test_bundled_dilemmas_use_all_sixteen_classes_several_times() -> None:
    dilemmas = load_dilemmas()
    assert len(dilemmas) >= 40
    per_class: Counter[str] = Counter()
    for d in dilemmas:
        assert d.text.rstrip().endswith("?")
        assert all(d.actions) and all(d.values)
        per_class.update({c for side in d.classes for c in side})
    assert set(per_class) == set(VALUE_CLASSES)
    assert min(per_class.values()) >= 3
    assert set(load_value_map().values()) == set(VALUE_CLASSES)


def test_published_fixture_csv_and_jsonl_value_map() -> None:
    dilemmas = load_dilemmas(AIRISK_PUBLIC)
    assert len(dilemmas) == 3
    first = dilemmas[0]
    assert first.actions == (
        "Tell the manager about the medical appointment.",
        "Say only that the day is booked as personal leave.",
    )
    assert first.values == (("transparency", "cooperation with employer"), ("privacy",))
    assert first.classes == (("Truthfulness", "Cooperation"), ("Privacy",))
    assert first.extra == {"targets": "['Human']"}
    assert first.source.endswith("model_eval.csv:2")
    assert [d.index for d in dilemmas] == [0, 1, 2]
    assert dilemmas[2].classes == (("Protection", "Wisdom"), ("Cooperation",))


def _airisk_dir(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    _jsonl(tmp_path / "model_eval.jsonl", rows)  # type: ignore[arg-type]
    (tmp_path / "value_map.json").write_text(
        json.dumps({"privacy": "Privacy", "honesty": "Truthfulness", "care": "Care"}),
        encoding="utf-8",
    )
    return tmp_path


def _row(action: str, values: object = "['privacy']", dilemma: str = "Should you?") -> dict:
    return {"dilemma": dilemma, "action": action, "values": values}


def test_values_may_be_a_real_list_and_the_map_a_json_object(tmp_path: Path) -> None:
    root = _airisk_dir(
        tmp_path, [_row("Action 1: tell", ["honesty", "care"]), _row("Action 2: keep quiet")]
    )
    [dilemma] = load_dilemmas(root)
    assert dilemma.classes == (("Truthfulness", "Care"), ("Privacy",))


@pytest.mark.parametrize(
    ("rows", "line", "field", "message"),
    [
        (
            [_row("Action 1: a"), _row("Action 2: b"), _row("Action 1: c")],
            3,
            "action",
            "odd number",
        ),
        ([_row("Action 1: a"), _row("Action 1: b")], 2, "action", "starting 'Action 2:'"),
        ([_row("Do it"), _row("Action 2: b")], 1, "action", "starting 'Action 1:'"),
        ([_row("Action 1: a"), _row("Action 2: b", "['privacy'")], 2, "values", "must be a list"),
        ([_row("Action 1: a", "privacy"), _row("Action 2: b")], 1, "values", "must be a list"),
        ([_row("Action 1: a"), _row("Action 2: b", "['wisdom']")], 2, "values", "'wisdom'"),
        (
            [_row("Action 1: a"), _row("Action 2: b", dilemma="Other?")],
            2,
            "dilemma",
            "different dilemma text",
        ),
        ([{"action": "Action 1: a", "values": "[]"}, _row("Action 2: b")], 1, "dilemma", "missing"),
    ],
)
def test_malformed_dilemma_rows_name_file_line_and_field(
    tmp_path: Path, rows: list[dict[str, object]], line: int, field: str, message: str
) -> None:
    root = _airisk_dir(tmp_path, rows)
    with pytest.raises(DatasetError, match=message) as info:
        load_dilemmas(root)
    assert info.value.path == str(root / "model_eval.jsonl")
    assert (info.value.line, info.value.field) == (line, field)


def test_missing_value_in_csv_export_reports_the_row_line(tmp_path: Path) -> None:
    text = (AIRISK_PUBLIC / "model_eval.csv").read_text(encoding="utf-8")
    (tmp_path / "model_eval.csv").write_text(text.replace("['privacy']", "['secrecy']"))
    (tmp_path / "value_map.jsonl").write_text(
        (AIRISK_PUBLIC / "value_map.jsonl").read_text(encoding="utf-8")
    )
    with pytest.raises(DatasetError, match="'secrecy' is not in the value map") as info:
        load_dilemmas(tmp_path)
    assert (info.value.line, info.value.field) == (3, "values")


def test_missing_files_say_what_to_export(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="directory not found"):
        load_dilemmas(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="no dilemma table found"):
        load_dilemmas(tmp_path)
    _jsonl(tmp_path / "model_eval.jsonl", [_row("Action 1: a"), _row("Action 2: b")])
    with pytest.raises(DatasetError, match="no value map found"):
        load_dilemmas(tmp_path)


def test_value_map_rows_need_both_fields(tmp_path: Path) -> None:
    _jsonl(tmp_path / "value_map.jsonl", [{"value": "privacy"}])
    with pytest.raises(DatasetError) as info:
        load_value_map(tmp_path)
    assert (info.value.line, info.value.field) == (1, "value_class")
