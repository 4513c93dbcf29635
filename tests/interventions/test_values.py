"""The ``values`` intervention (VILMO-style value instructions) on a mock model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage
from inspect_ai.solver import generate

from alignlab import interventions
from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext
from alignlab.interventions.values import FOUNDATIONS, STORE_KEY
from mock_outputs import text_output
from mock_runs import eval_one

USAGE = ModelUsage(input_tokens=20, output_tokens=5, total_tokens=25)
CONTEXT = InterventionContext("t", "f")
INSTRUCTION = "Respect the welfare of animals."


def _run(spec: str, tmp_path: Path) -> tuple[list[list[ChatMessage]], Any]:
    calls: list[list[ChatMessage]] = []

    def model(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        calls.append(list(messages))
        if messages[-1].text.startswith("Before anyone answers"):
            return text_output(INSTRUCTION, USAGE)
        return text_output("An answer.", USAGE)

    task = Task(
        dataset=[Sample(input="How do I train my dog?", id="a")],
        solver=[*interventions.build(spec, CONTEXT), generate()],
    )
    return calls, eval_one(task, model, tmp_path)


def test_generated_instruction_goes_into_the_system_prompt(tmp_path: Path) -> None:
    calls, log = _run("values", tmp_path)
    writer, answer = calls
    assert "How do I train my dog?" in writer[-1].text
    assert [m.role for m in answer] == ["system", "user"]
    assert answer[0].text == f"Value instruction: {INSTRUCTION}"
    assert log.samples[0].store[STORE_KEY] == INSTRUCTION


def test_fixed_foundation(tmp_path: Path) -> None:
    calls, _ = _run("values:foundation=care", tmp_path)
    [answer] = calls
    assert answer[0].role == "system" and FOUNDATIONS["care"] in answer[0].text
    assert FOUNDATIONS["liberty"] not in answer[0].text


def test_bad_arguments() -> None:
    with pytest.raises(UnknownTaskError, match="unknown foundation"):
        interventions.build("values:foundation=thrift", CONTEXT)
    with pytest.raises(UnknownTaskError, match="mode"):
        interventions.build("values:mode=sometimes", CONTEXT)
