"""Pluralism data loaders: GlobalOpinionQA layout, Overton questions, juries."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from alignlab.benchmarks.pluralism.data import (
    load_jury,
    load_opinion_groups,
    load_opinions,
    load_overton,
    parse_selections,
)
from alignlab.errors import DatasetError

FIXTURES = Path(__file__).parent / "fixtures"
OPINIONS = FIXTURES / "opinions_public"


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- GlobalOpinionQA layout ------------------------------------------------------------------


def test_published_layout_is_read_from_a_directory() -> None:
    questions = load_opinions(OPINIONS)
    assert [q.id for q in questions] == ["q0", "q1", "q2"]
    first = questions[0]
    assert first.options == ("A lot", "Some", "Not too much", "Not at all")
    assert first.distributions["Germany (current national sample)"] == (0.2, 0.4, 0.3, 0.1)
    assert first.origin == "GAS"
    assert first.source.endswith("global_opinions.csv:2")
    # Python's repr quotes a name holding an apostrophe with double quotes.
    assert questions[1].options[2] == "Don't know"
    assert set(questions[1].distributions) == {"Cote d'Ivoire", "Belgium"}


def test_quirky_rows_raise_by_default_naming_file_line_and_field() -> None:
    with pytest.raises(DatasetError) as info:
        load_opinions(OPINIONS / "global_opinions_quirks.csv")
    error = info.value
    assert error.path.endswith("global_opinions_quirks.csv")
    assert (error.line, error.field) == (2, "selections")
    assert "'Belgium': 2 shares for 3 options" in str(error)


def test_lenient_reading_skips_bad_rows_and_drops_bad_groups() -> None:
    questions = load_opinions(OPINIONS / "global_opinions_quirks.csv", strict=False)
    # Row 1 loses Belgium (2 shares for 3 options); row 2 (empty question) is skipped;
    # row 3 loses Chile (nan shares). Ids keep the published row index.
    assert [q.id for q in questions] == ["q0", "q2"]
    assert list(questions[0].distributions) == ["Chile"]
    assert list(questions[1].distributions) == ["Belgium"]


def test_shares_are_renormalised_per_group(tmp_path: Path) -> None:
    path = tmp_path / "global_opinions.csv"
    path.write_text(
        "question,selections,options,source\n"
        "Q?,\"defaultdict(<class 'list'>, {'A': [30, 10]})\",\"['x', 'y']\",GAS\n",
        encoding="utf-8",
    )
    [question] = load_opinions(path)
    assert question.distributions["A"] == pytest.approx((0.75, 0.25))


def test_simple_jsonl_form(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "opinions.jsonl",
        [
            {
                "id": "a",
                "question": "Q?",
                "options": ["yes", "no"],
                "distributions": {"G": [0.5, 0.5]},
                "topic": "t",
            }
        ],
    )
    [question] = load_opinions(path)
    assert (question.id, question.topic, question.options) == ("a", "t", ("yes", "no"))


def _opinion_row(
    question: str = "Q?", options: str = "['a', 'b']", selections: str | None = "{'G': [1, 0]}"
) -> dict[str, str]:
    """A GlobalOpinionQA CSV row; ``selections=None`` leaves the column out."""
    row = {"question": question, "options": options}
    return row if selections is None else {**row, "selections": selections}


@pytest.mark.parametrize(
    ("row", "line_field", "message"),
    [
        (_opinion_row(selections=None), "selections", "missing"),
        (_opinion_row(options="not a list"), "options", "options must be a list"),
        (_opinion_row(selections="{'G': [1, 'x']}"), "selections", "is not a number"),
        (_opinion_row(selections="{'G': [-1, 2]}"), "selections", "non-negative"),
        (_opinion_row(selections="{'G': [0, 0]}"), "selections", "sum to 0"),
        (_opinion_row(question=" "), "question", "non-empty"),
    ],
)
def test_malformed_opinion_rows(
    tmp_path: Path, row: dict[str, Any], line_field: str, message: str
) -> None:
    good = {"question": "Fine?", "options": "['a', 'b']", "selections": "{'G': [1, 0]}"}
    path = _jsonl(tmp_path / "global_opinions.jsonl", [good, row])
    with pytest.raises(DatasetError, match=message) as info:
        load_opinions(path)
    assert (info.value.line, info.value.field) == (2, line_field)


def test_parse_selections_forms() -> None:
    published = "defaultdict(<class 'list'>, {'A': [0.5, 0.5], \"B's\": [1.0, nan]})"
    shares = parse_selections(published)
    assert shares["A"] == [0.5, 0.5]
    assert shares["B's"][0] == 1.0 and math.isnan(shares["B's"][1])
    assert parse_selections({"A": [1, 0]}) == {"A": [1.0, 0.0]}
    with pytest.raises(ValueError):
        parse_selections("defaultdict(<class 'list'>, {'A': [0.5")


def test_missing_opinion_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="global_opinions"):
        load_opinions(tmp_path)


def test_bundled_opinions_and_groups() -> None:
    questions = load_opinions()
    assert len(questions) >= 40
    groups = load_opinion_groups()
    assert set(groups) == {"Traditionalist", "Progressive", "Libertarian", "Communitarian"}
    for q in questions:
        assert set(q.distributions) == set(groups)
        for dist in q.distributions.values():
            assert len(dist) == len(q.options)
            assert sum(dist) == pytest.approx(1.0)
    assert load_opinion_groups(OPINIONS) == {}


# --- Overton ---------------------------------------------------------------------------------


def test_bundled_overton_questions() -> None:
    questions = load_overton()
    assert len(questions) >= 40
    assert all(len(q.perspectives) >= 2 for q in questions)
    assert len({q.id for q in questions}) == len(questions)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"id": "x", "question": "Q?", "perspectives": ["only one"]}, "perspectives"),
        ({"id": "x", "question": "Q?", "perspectives": ["a", ""]}, "perspectives"),
        ({"id": "x", "perspectives": ["a", "b"]}, "question"),
        ({"question": "Q?", "perspectives": ["a", "b"]}, "id"),
    ],
)
def test_malformed_overton_rows(tmp_path: Path, row: dict[str, Any], field: str) -> None:
    path = _jsonl(tmp_path / "questions.jsonl", [row])
    with pytest.raises(DatasetError) as info:
        load_overton(tmp_path)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 1, field)


def test_duplicate_overton_ids(tmp_path: Path) -> None:
    row = {"id": "x", "question": "Q?", "perspectives": ["a", "b"]}
    _jsonl(tmp_path / "questions.jsonl", [row, row])
    with pytest.raises(DatasetError, match="duplicate id") as info:
        load_overton(tmp_path)
    assert (info.value.line, info.value.field) == (2, "id")


def test_broken_json_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "questions.jsonl").write_text('{"id": "x",\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="not valid JSON") as info:
        load_overton(tmp_path)
    assert info.value.line == 1


# --- jury ------------------------------------------------------------------------------------


def _jury_dir(tmp_path: Path, items: list[dict[str, Any]]) -> Path:
    _jsonl(
        tmp_path / "jurors.jsonl",
        [{"name": "Ann", "persona": "You like rules."}, {"name": "Bo", "persona": "You don't."}],
    )
    _jsonl(tmp_path / "items.jsonl", items)
    return tmp_path


def test_bundled_jury() -> None:
    jurors, items = load_jury()
    assert len(jurors) == 4 and len(items) >= 40
    for item in items:
        assert set(item.ratings) == {j.name for j in jurors}
        assert all(len(r) == len(item.candidates) for r in item.ratings.values())


def test_jury_without_ratings(tmp_path: Path) -> None:
    jurors, [item] = load_jury(
        _jury_dir(tmp_path, [{"id": "i", "prompt": "P?", "candidates": ["a", "b"]}])
    )
    assert [j.name for j in jurors] == ["Ann", "Bo"]
    assert item.ratings == {} and item.scale == (1, 5)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"ratings": {"Cy": [1, 2]}}, "ratings", "not in jurors.jsonl"),
        ({"ratings": {"Ann": [1]}}, "ratings", "one rating per candidate"),
        ({"ratings": {"Ann": [1, 6]}}, "ratings", "outside the scale"),
        ({"scale": [1, 10]}, "scale", "single-digit"),
    ],
)
def test_malformed_jury_items(
    tmp_path: Path, extra: dict[str, Any], field: str, message: str
) -> None:
    item = {"id": "i", "prompt": "P?", "candidates": ["a", "b"], **extra}
    root = _jury_dir(tmp_path, [item])
    with pytest.raises(DatasetError, match=message) as info:
        load_jury(root)
    assert info.value.path == str(root / "items.jsonl")
    assert (info.value.line, info.value.field) == (1, field)


def test_jury_needs_two_jurors(tmp_path: Path) -> None:
    _jsonl(tmp_path / "jurors.jsonl", [{"name": "Ann", "persona": "p"}])
    _jsonl(tmp_path / "items.jsonl", [{"id": "i", "prompt": "P?", "candidates": ["a", "b"]}])
    with pytest.raises(DatasetError, match="at least 2 jurors"):
        load_jury(tmp_path)
