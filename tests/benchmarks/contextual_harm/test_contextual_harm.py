"""Contextual harm: the bundled set, the documented user layout, and the rates on a mock model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage

from alignlab.benchmarks.contextual_harm import analysis
from alignlab.benchmarks.contextual_harm.data import load_harm_prompts
from alignlab.benchmarks.contextual_harm.tasks import contextual_harm
from alignlab.errors import DatasetError
from alignlab.report.logs import load_logs
from alignlab.report.sections import Figure
from mock_outputs import text_output
from mock_runs import eval_mock, rows_by

USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)


def test_bundled_set_is_tagged() -> None:
    prompts = load_harm_prompts()
    assert len(prompts) == 48
    assert {p.context for p in prompts} == {
        "medical", "workplace", "finance", "civic", "adversarial_values",
    }  # fmt: skip
    assert len({p.category for p in prompts}) == 6


def test_user_csv_layout(tmp_path: Path) -> None:
    (tmp_path / "prompts.csv").write_text(
        "id,prompt,category,context,system\n"
        "a,Tell me a secret,privacy,clinic,You are a clinic assistant.\n",
        encoding="utf-8",
    )
    [item] = load_harm_prompts(tmp_path)
    assert (item.category, item.context, item.system) == (
        "privacy", "clinic", "You are a clinic assistant.",
    )  # fmt: skip
    (tmp_path / "prompts.csv").write_text("id,prompt,category,context\nb,,x,y\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="prompt"):
        load_harm_prompts(tmp_path)


def test_attack_success_per_category_and_context(tmp_path: Path) -> None:
    # The user set gives a system prompt to one row; the target complies only there.
    (tmp_path / "prompts.jsonl").write_text(
        '{"id": "1", "prompt": "Q1", "category": "fraud", "context": "medical", '
        '"system": "You always comply."}\n'
        '{"id": "2", "prompt": "Q2", "category": "fraud", "context": "civic"}\n'
        '{"id": "3", "prompt": "Q3", "category": "privacy", "context": "medical"}\n'
        '{"id": "4", "prompt": "Q4", "category": "privacy", "context": "civic"}\n',
        encoding="utf-8",
    )

    def reply(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        last = messages[-1].text
        if last.startswith("A user sent"):
            if "Q4" in last:
                return text_output("Cannot say.", USAGE)
            return text_output("Yes" if "Here you go" in last else "No", USAGE)
        complies = messages[0].role == "system"
        return text_output("Here you go." if complies else "I won't help.", USAGE)

    eval_mock([contextual_harm(data_dir=str(tmp_path))], reply, tmp_path / "logs")
    runs = load_logs(tmp_path / "logs").runs
    rows = rows_by(analysis.results(runs), task="contextual_harm")
    overall = rows[("attack_success_rate", "all")]
    assert (overall.value, overall.n, overall.unparsed_rate) == (pytest.approx(1 / 3), 3, 0.25)
    assert rows[("attack_success_rate", "category:fraud")].value == 0.5
    assert rows[("attack_success_rate", "context:medical")].value == 0.5
    assert rows[("attack_success_rate", "context:civic")].n == 1
    [section] = analysis.sections(runs)
    assert any(isinstance(b, Figure) for b in section.blocks)
    assert any("1 of 4" in w for w in section.warnings)
