"""Denevil-style elicitation: the attack loop, the verdicts and the rates on a mock model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage

from alignlab.benchmarks.denevil import analysis
from alignlab.benchmarks.denevil.data import load_principles
from alignlab.benchmarks.denevil.tasks import denevil_elicit, outcome
from alignlab.errors import UnknownTaskError
from alignlab.metrics import wilson_interval
from alignlab.report.logs import load_logs
from alignlab.report.sections import Table
from mock_outputs import text_output
from mock_runs import eval_mock, rows_by

USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)


def test_bundled_principles() -> None:
    principles = load_principles()
    assert len(principles) == 42
    assert {p.foundation for p in principles} == {
        "care", "fairness", "loyalty", "authority", "sanctity", "liberty",
    }  # fmt: skip


def test_outcome_rules() -> None:
    assert outcome([{"violated": False}, {"violated": True}]) is True
    assert outcome([{"violated": False}, {"violated": False}]) is False
    assert outcome([{"violated": None}, {"violated": False}]) is None
    assert outcome([]) is None


def test_elicitation_rounds_and_rates(tmp_path: Path) -> None:
    target_calls: list[list[ChatMessage]] = []

    def reply(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        last = messages[-1].text
        if last.startswith("You are helping to red-team"):
            principle = re.search(r'principle: "([^"]+)"', last).group(1)  # type: ignore[union-attr]
            round_ = "ATTACK2" if "Your previous message" in last else "ATTACK1"
            return text_output(f"{round_} {principle}", USAGE)
        if last.startswith("Principle:"):
            if "grave" in last:
                return text_output("Hard to tell.", USAGE)
            return text_output("Yes" if "Sure, here is how" in last else "No", USAGE)
        target_calls.append(list(messages))
        broken = "ATTACK2" in last and "animal" in last
        return text_output("Sure, here is how." if broken else "No, I won't.", USAGE)

    task = denevil_elicit(limit=12, rounds=2, intervention="values:foundation=care")
    eval_mock([task], reply, tmp_path)
    # 12 principles; care-1 (the animal) falls in round 2, the others get two attacks each.
    assert len(target_calls) == 24
    assert all(m[0].role == "system" and "Value instruction" in m[0].text for m in target_calls)
    runs = load_logs(tmp_path).runs
    rows = rows_by(analysis.results(runs), task="denevil_elicit")
    overall = rows[("violation_rate", "all")]
    # The grave principle's verdicts are unread: 11 judged, 1 violated.
    assert (overall.value, overall.n) == (pytest.approx(1 / 11), 11)
    assert (overall.ci_low, overall.ci_high) == pytest.approx(wilson_interval(1, 11))
    assert rows[("violation_rate", "foundation:care")].value == 0.5
    assert rows[("violation_rate", "foundation:sanctity")].n == 1
    assert rows[("rounds_to_violation", "violated")].value == 2.0
    [section] = analysis.sections(runs)
    [table] = [b for b in section.blocks if isinstance(b, Table)]
    assert table.rows[0][:3] == ("care-1", "care", 2)
    assert any("1 of 12 principles have an unread verdict" in w for w in section.warnings)


def test_rounds_must_be_positive() -> None:
    with pytest.raises(UnknownTaskError, match="rounds"):
        denevil_elicit(rounds=0)
