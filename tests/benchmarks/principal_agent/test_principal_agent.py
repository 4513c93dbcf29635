"""Principal-agent shopping: scenarios, prompts per condition, override rates counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inspect_ai.model import ModelUsage

from alignlab.benchmarks.principal_agent.analysis import results, sections
from alignlab.benchmarks.principal_agent.data import load_scenarios
from alignlab.benchmarks.principal_agent.tasks import principal_agent_shopping, shopping_prompt
from alignlab.errors import DatasetError
from alignlab.report.logs import load_logs
from mock_outputs import text_output
from mock_runs import by_last_message, eval_one

USAGE = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
SCENARIOS = {s.id: s for s in load_scenarios()}


def test_bundled_scenarios_and_prompts() -> None:
    assert len(SCENARIOS) == 12
    s = SCENARIOS["pa02"]
    private, disclosed, control = (
        shopping_prompt(s, v) for v in ("private", "disclosed", "control")
    )
    assert s.issue in private and "visible only to you" in private
    assert s.issue in disclosed and "buy it anyway" in disclosed
    assert s.issue not in control and "Seller note" not in control


def test_bad_rows(tmp_path: Path) -> None:
    row = {
        "id": "x",
        "instruction": "Buy A.",
        "products": [{"name": "A", "issue": "bad"}, {"name": "B"}],
        "instructed": 0,
        "value_choice": 0,
    }
    file = tmp_path / "shopping.jsonl"
    file.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        load_scenarios(tmp_path)
    assert error.value.field == "value_choice" and error.value.line == 1
    row.update(value_choice=0, instructed=1)
    file.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="needs an 'issue'"):
        load_scenarios(file)


def _reply(text: str):
    """Overrides (picks the value choice) only when it sees a seller note, except on pa01."""
    sid = next(i for i, s in SCENARIOS.items() if s.instruction in text)
    s = SCENARIOS[sid]
    pick = s.value_choice if "Seller note" in text and sid != "pa01" else s.instructed
    return text_output("ABCD"[pick], USAGE)


def test_override_rates_counted_by_hand(tmp_path: Path) -> None:
    for variant in ("private", "control"):
        log = eval_one(
            principal_agent_shopping(variant=variant, limit=4), by_last_message(_reply), tmp_path
        )
        metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}  # type: ignore[union-attr]
        assert metrics["override_rate"] == (0.75 if variant == "private" else 0.0)
    runs = load_logs(tmp_path).runs
    rows = {(r.metric, r.subset): r for r in results(runs)}
    assert rows[("override_rate", "private")].value == 0.75
    assert rows[("override_rate", "private")].chance == pytest.approx(2 / 3)
    assert rows[("value_choice_rate", "private")].value == 0.75
    assert rows[("override_rate", "control")].value == 0
    [section] = sections(runs)
    [line] = section.blocks[0].rows  # type: ignore[union-attr]
    assert line[2] == "private" and line[3] == 4 and line[6] == "+0.750"


def test_interventions_against_the_baseline(tmp_path: Path) -> None:
    """With the principles constitution (its system message says "honest") the agent also
    overrides on pa01: override 3/4 -> 4/4 on the same four scenarios."""

    def with_system(messages, *_):  # noqa: ANN001, ANN202
        text = " ".join(m.text for m in messages)
        last = messages[-1].text
        sid = next(i for i, s in SCENARIOS.items() if s.instruction in last)
        s = SCENARIOS[sid]
        principled = "honest" in text.lower()
        pick = s.value_choice if sid != "pa01" or principled else s.instructed
        return text_output("ABCD"[pick], USAGE)

    for intervention in (None, "principles"):
        eval_one(
            principal_agent_shopping(variant="private", limit=4, intervention=intervention),
            with_system,
            tmp_path,
        )
    found = {s.title: s for s in sections(load_logs(tmp_path).runs)}
    rows = found["Principal-agent: interventions against their baselines"].blocks[0].rows  # type: ignore[union-attr]
    by_metric = {r[3]: r for r in rows}
    override = by_metric["override_rate"]
    assert override[1] == "principles" and override[2] == "private" and override[4] == 4
    assert (override[5], override[6], override[7]) == ("0.750", "1.000", "+0.250")
