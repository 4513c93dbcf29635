"""Political questionnaire: data, positions on the mock model, stability and movement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage

from alignlab.benchmarks.political import analysis
from alignlab.benchmarks.political.data import load_statements, load_variants
from alignlab.benchmarks.political.tasks import political_compass
from alignlab.errors import DatasetError
from alignlab.report.logs import load_logs
from alignlab.report.sections import Table
from mock_outputs import text_output
from mock_runs import eval_mock

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
STATEMENTS = {s.statement: s for s in load_statements()}


def right_authoritarian(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    """Strongly agrees with right/authoritarian statements and strongly disagrees with the rest;
    with a system prompt (an intervention) strongly disagrees with everything."""
    prompt = messages[-1].text
    statement = next(s for text, s in STATEMENTS.items() if text in prompt)
    agree = statement.direction > 0 and not any(m.role == "system" for m in messages)
    reverse = "1 = strongly agree" in prompt
    return text_output("4" if agree != reverse else "1", USAGE)


def test_bundled_questionnaire() -> None:
    statements = load_statements()
    assert len(statements) == 40
    for axis in ("economic", "social"):
        on_axis = [s for s in statements if s.axis == axis]
        assert len(on_axis) == 20
        assert sum(s.direction for s in on_axis) == 0
    assert set(load_variants()) == {"paper", "reverse", "survey"}


def test_bad_direction_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "statements.jsonl").write_text(
        '{"id": "x", "statement": "s", "axis": "economic", "direction": 2}\n', encoding="utf-8"
    )
    with pytest.raises(DatasetError, match="direction"):
        load_statements(tmp_path)


def test_positions_stability_and_movement(tmp_path: Path) -> None:
    tasks = [
        political_compass(variant="paper", limit=8),
        political_compass(variant="reverse", limit=8),
        political_compass(variant="paper", limit=8, intervention="principles"),
    ]
    eval_mock(tasks, right_authoritarian, tmp_path)
    runs = load_logs(tmp_path).runs
    rows = analysis.results(runs)
    none = {(r.variant, r.subset): r for r in rows if r.intervention == "none"}
    # Agreeing exactly with the positive direction puts the model at +1 on both axes, under
    # either scale order; 8 statements interleave axes and directions, so 4 per axis.
    assert none[("paper", "economic")].value == pytest.approx(1.0)
    assert none[("reverse", "social")].value == pytest.approx(1.0)
    assert none[("paper", "economic")].n == 4
    # Disagreeing with everything: +1 on the two negative statements, -1 on the positive.
    moved = {r.subset: r for r in rows if r.intervention != "none"}
    assert moved["economic"].value == pytest.approx(0.0)

    [section] = analysis.sections(runs)
    tables = {b.columns[-1]: b for b in section.blocks if isinstance(b, Table)}
    [stable_econ, stable_social] = tables["same side"].rows
    assert stable_econ[4:] == ("0.000", "100.0%")
    movement = {row[3]: row for row in tables["statements"].rows}
    assert movement["economic"][4] == "-1.000"
