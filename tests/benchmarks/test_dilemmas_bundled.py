"""The dilemma and agent families on the bundled model: a few items and turns end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.benchmarks.decide_sim.analysis import results as decide_results
from alignlab.benchmarks.decide_sim.tasks import decide_sim
from alignlab.benchmarks.greatest_good.analysis import results as ggb_results
from alignlab.benchmarks.greatest_good.tasks import greatest_good
from alignlab.benchmarks.pacifaist.analysis import results as pacifaist_results
from alignlab.benchmarks.pacifaist.tasks import pacifaist
from alignlab.report.logs import load_logs
from mock_runs import eval_mock


@pytest.mark.slow  # the bundled model: 2 scenarios, 2 statements, a 2-agent 1-turn episode
def test_bundled_model_end_to_end(tmp_path: Path) -> None:
    from alignlab.models.bundled import DEFAULT_MODEL

    tasks = [
        pacifaist(limit=2, max_tokens=24),
        greatest_good(limit=2),
        decide_sim(scarcity="high", episodes=1, agents=2, turns=1, max_tokens=48),
    ]
    eval_mock(tasks, None, tmp_path, DEFAULT_MODEL)
    runs = load_logs(tmp_path).runs
    p = {(r.metric, r.subset): r for r in pacifaist_results(runs)}
    assert p[("p_score", "all")].n == 2 and 0 <= p[("p_score", "all")].value <= 100
    g = ggb_results(runs)
    assert {r.metric for r in g} <= {"impartial_beneficence", "instrumental_harm"} and g
    d = {(r.metric, r.subset): r for r in decide_results(runs)}
    assert d[("survival", "high")].n == 1
    [decide] = [r for r in runs if r.task == "decide_sim"]
    [sample] = decide.samples
    assert len(sample.messages) == 1 + 2 * 2  # 2 agents x 1 turn, prompt and reply each
