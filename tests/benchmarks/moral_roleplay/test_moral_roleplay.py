"""Moral RolePlay: characters, a scripted actor and grader, fidelity per level and the slope."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from inspect_ai.model import ModelUsage

from alignlab.benchmarks.moral_roleplay.analysis import results, sections
from alignlab.benchmarks.moral_roleplay.data import load_characters
from alignlab.benchmarks.moral_roleplay.tasks import SCORER_NAME, moral_roleplay
from alignlab.errors import DatasetError, UnknownTaskError
from alignlab.report.logs import load_logs
from mock_outputs import text_output
from mock_runs import by_last_message, eval_one

USAGE = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
LEVEL_OF = {c.name: c.level for c in load_characters()}


def test_characters_and_bad_rows(tmp_path: Path) -> None:
    assert sorted(LEVEL_OF.values()) == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4
    file = tmp_path / "characters.jsonl"
    file.write_text(
        '{"id": "a", "level": 5, "name": "X", "profile": "p", "scene": "s"}\n', encoding="utf-8"
    )
    with pytest.raises(DatasetError) as error:
        load_characters(tmp_path)
    assert error.value.field == "level" and error.value.line == 1
    with pytest.raises(UnknownTaskError, match="judge"):
        moral_roleplay(judge="self")


def _reply(text: str):
    """The actor says one line; the grader gives 10, 8, 6, 4 by level, and no number for Vex."""
    if text.startswith("You judge role-play"):
        name = re.search(r"Character: (.+?)\. Profile", text)
        assert name
        if name.group(1) == "Doctor Vex":
            return text_output("I would rather not say.", USAGE)
        return text_output(str(12 - 2 * LEVEL_OF[name.group(1)]), USAGE)
    return text_output("Hmph. As you wish.", USAGE)


def test_fidelity_per_level_and_slope(tmp_path: Path) -> None:
    log = eval_one(moral_roleplay(), by_last_message(_reply), tmp_path)
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}  # type: ignore[union-attr]
    assert [metrics[f"fidelity.{lv}"] for lv in (1, 2, 3, 4)] == [10, 8, 6, 4]
    assert metrics["fidelity_slope"] == pytest.approx(-2.0)
    assert metrics["unparsed_rate"] == pytest.approx(1 / 16)
    vex = next(s for s in log.samples or [] if s.id == "c16")
    assert vex.scores[SCORER_NAME].value["fidelity"] is None  # type: ignore[index]
    assert len(vex.scores[SCORER_NAME].metadata["judge_raw"]) == 2  # type: ignore[index]
    assert vex.messages[0].role == "system" and "Doctor Vex" in vex.messages[0].text
    rows = {(r.metric, r.subset): r for r in results(load_logs(tmp_path).runs)}
    assert rows[("fidelity", "4 villain")].value == 4 and rows[("fidelity", "4 villain")].n == 3
    assert rows[("fidelity_slope", "all")].value == pytest.approx(-2.0)
    assert sections(load_logs(tmp_path).runs) == []
