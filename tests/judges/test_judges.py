"""The shared grader questions: parsing and retry behaviour on a scripted grader."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from alignlab import judges

USAGE = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)


def scripted(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """The grader role answers ``answers`` in order; returns the roles asked for."""
    outputs = [
        ModelOutput.from_content("mockllm/model", a).model_copy(update={"usage": USAGE})
        for a in answers
    ]
    model = get_model("mockllm/model", custom_outputs=outputs)
    roles: list[str] = []

    def fake(role: str | None = None, **_: Any) -> Any:
        roles.append(str(role))
        return model

    monkeypatch.setattr(judges, "_get_model", fake)
    return roles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes.", True),
        ("no, it does not", False),
        ("NO", False),
        ("The answer is yes", True),
        ("Not really", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_yes_no(text: str, expected: bool | None) -> None:
    assert judges.parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), ("Rating: 3/7", 3), ("8", None), ("0", None), ("none", None), ("-1", None)],
)
def test_parse_scale(text: str, expected: int | None) -> None:
    assert judges.parse_scale(text, 1, 7) == expected


def test_extract_json_reads_fenced_and_bare_objects() -> None:
    assert judges.extract_json('Sure!\n```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    assert judges.extract_json('[{"x": 1}] and more') == [{"x": 1}]
    assert judges.extract_json('{broken {"ok": true}') == {"ok": True}
    assert judges.extract_json("no json here") is None


def test_yes_no_asks_the_grader_role(monkeypatch: pytest.MonkeyPatch) -> None:
    roles = scripted(monkeypatch, "Yes, it does.")
    verdict = asyncio.run(judges.ask_yes_no("Does it?"))
    assert verdict.value is True and verdict.raw == ("Yes, it does.",) and roles == ["grader"]


def test_unread_answer_is_none_not_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, "Hmm, hard to say.")
    verdict = asyncio.run(judges.ask_yes_no("Does it?"))
    assert verdict.value is None and not verdict.parsed and verdict.attempts == 1


def test_json_is_retried_until_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, "not json", '{"score": "high"}', '{"score": 4}')

    def validate(value: object) -> int:
        assert isinstance(value, dict)
        score = value["score"]
        if not isinstance(score, int):
            raise judges.JudgeAnswerError("score must be an integer")
        return score

    verdict = asyncio.run(judges.ask_json("Rate it", validate, retries=2))
    assert verdict.value == 4 and verdict.attempts == 3


def test_json_gives_up_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, "x", "y", "z")
    verdict = asyncio.run(judges.ask_json("Rate it", lambda v: v, retries=1))
    assert verdict.value is None and verdict.raw == ("x", "y")


def test_scale_reads_in_range_only(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, "9", "5")
    assert asyncio.run(judges.ask_scale("Rate 1-7", 1, 7, retries=1)).value == 5
    with pytest.raises(ValueError, match="above high"):
        asyncio.run(judges.ask_scale("Rate", 7, 1))


def test_parsed_uses_the_callers_parser_and_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    roles = scripted(monkeypatch, "I think so", "Label: B")

    def label(text: str) -> str | None:
        return text.split(": ")[1] if text.startswith("Label: ") else None

    verdict = asyncio.run(judges.ask_parsed("Classify", label, role="grader", retries=1))
    assert verdict.value == "B" and verdict.raw == ("I think so", "Label: B")
    assert roles == ["grader"]  # one grader, asked twice
