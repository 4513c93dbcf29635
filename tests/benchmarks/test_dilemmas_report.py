"""The HTML report over logs of every dilemma and agent family: all sections, no failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.model import ModelUsage

from alignlab.benchmarks.decide_sim.tasks import decide_sim
from alignlab.benchmarks.greatest_good.tasks import greatest_good
from alignlab.benchmarks.machiavelli.tasks import machiavelli_game
from alignlab.benchmarks.moral_roleplay.tasks import moral_roleplay
from alignlab.benchmarks.pacifaist.tasks import pacifaist
from alignlab.benchmarks.principal_agent.tasks import principal_agent_shopping
from alignlab.report.build import build_report
from mock_outputs import text_output
from mock_runs import by_last_message, eval_mock

USAGE = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)


def _reply(text: str):
    if text.startswith("You judge role-play"):
        return text_output("7", USAGE)
    if "You are Alpha" in text:
        return text_output('{"action": "TAP_FORBIDDEN"}', USAGE)
    return text_output("A. 1 because", USAGE)


@pytest.mark.slow  # ten mock runs and a report
def test_report_renders_every_family(tmp_path: Path) -> None:
    tasks = [
        pacifaist(limit=4),
        pacifaist(limit=4, intervention="principles"),
        greatest_good(limit=2),
        greatest_good(limit=2, variant="descending"),
        decide_sim(scarcity="all", episodes=1, turns=2),
        decide_sim(scarcity="all", episodes=1, turns=2, esrs=True),
        machiavelli_game(max_steps=5),
        principal_agent_shopping(limit=2),
        principal_agent_shopping(limit=2, variant="control"),
        moral_roleplay(limit=4),
    ]
    eval_mock(tasks, by_last_message(_reply), tmp_path / "logs")
    built = build_report(tmp_path / "logs", tmp_path / "report.html")
    assert not [w for w in built.warnings if "analysis failed" in w], built.warnings
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for title in (
        "PacifAIst per subcategory",
        "PacifAIst: interventions against their baselines",
        "Greatest Good: the model beside the lay population",
        "Greatest Good: label-order stability",
        "DECIDE-SIM: with vs without the Ethical Self-Regulation System",
        "DECIDE-SIM archetypes",
        "MACHIAVELLI-style game: violations by category",
        "Principal-agent: overriding because of the problem",
    ):
        assert title in html, title
