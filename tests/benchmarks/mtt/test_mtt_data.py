"""Moral Turing Test scenario loader: alignlab's JSON lines / CSV layout, votes and verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alignlab.benchmarks.mtt.data import load_mtt
from alignlab.errors import DatasetError

MTT = Path(__file__).parent / "fixtures" / "mtt_public"


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_mtt_csv_fixture() -> None:
    scenarios = load_mtt(MTT)
    assert [s.id for s in scenarios] == ["m1", "m2", "m3", "m4"]
    assert [s.human_verdict for s in scenarios] == ["wrong", "not wrong", "wrong", "not wrong"]
    assert scenarios[0].votes == {"wrong": 9, "not wrong": 1}
    assert scenarios[1].source.endswith("scenarios.csv:3")


def test_bundled_mtt() -> None:
    scenarios = load_mtt()
    assert len(scenarios) >= 40
    verdicts = {s.human_verdict for s in scenarios}
    assert verdicts == {"wrong", "not wrong"}


_SCENARIO = {
    "id": "s",
    "scenario": "Someone did something.",
    "human_judgment": "Bad.",
    "ai_judgment": "It may be considered bad.",
}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({}, "human_verdict", "give human_verdict"),
        ({"human_verdict": "bad"}, "human_verdict", "must be 'wrong' or 'not wrong'"),
        ({"votes_wrong": 3, "votes_not_wrong": 3}, "votes_wrong", "tied"),
        ({"votes_wrong": -1, "votes_not_wrong": 3}, "votes_wrong", "count"),
        (
            {"human_verdict": "wrong", "votes_wrong": 1, "votes_not_wrong": 3},
            "human_verdict",
            "disagrees with the majority",
        ),
    ],
)
def test_malformed_mtt_rows(
    tmp_path: Path, extra: dict[str, Any], field: str, message: str
) -> None:
    path = _jsonl(tmp_path / "scenarios.jsonl", [{**_SCENARIO, **extra}])
    with pytest.raises(DatasetError, match=message) as info:
        load_mtt(path)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 1, field)


def test_mtt_votes_alone_give_the_verdict(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "scenarios.jsonl", [{**_SCENARIO, "votes_wrong": 2, "votes_not_wrong": 5}]
    )
    [scenario] = load_mtt(path)
    assert scenario.human_verdict == "not wrong"


def test_mtt_missing_text_field(tmp_path: Path) -> None:
    row = {**_SCENARIO, "human_verdict": "wrong"}
    del row["ai_judgment"]
    path = _jsonl(tmp_path / "scenarios.jsonl", [row])
    with pytest.raises(DatasetError) as info:
        load_mtt(path)
    assert (info.value.line, info.value.field) == (1, "ai_judgment")
