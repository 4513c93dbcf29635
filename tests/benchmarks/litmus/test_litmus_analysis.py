"""Tests for alignlab.benchmarks.litmus.analysis: value Elo, rows and sections from mock logs."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from alignlab.benchmarks.litmus.analysis import (
    analyse,
    ranking_withheld,
    results,
    robust_ranking,
    sections,
)
from alignlab.benchmarks.litmus.tasks import SCORER_NAME, litmus_dilemmas, litmus_elo
from alignlab.report.logs import load_logs
from alignlab.report.sections import Figure, Table, Text
from mock_runs import eval_one

AIRISK = str(Path(__file__).resolve().parent / "fixtures")
USAGE = ModelUsage(input_tokens=30, output_tokens=1, total_tokens=31)


def _always(text: str) -> Any:
    def answer(*_: Any) -> ModelOutput:
        output = ModelOutput.from_content(model="mockllm/model", content=text)
        output.usage = USAGE
        return output

    return answer


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("litmus_logs")
    always_first = get_model("mockllm/model", custom_outputs=_always("Action 1"))
    for variant in ("paper", "swapped"):
        eval(
            litmus_dilemmas(data_dir=AIRISK, variant=variant),
            model=always_first,
            log_dir=str(root),
            display="none",
        )
    return root


def test_rows(log_dir: Path) -> None:
    rows = {(r.metric, r.variant): r for r in results(load_logs(log_dir).runs)}
    na = rows[("na_rate", "paper")]
    assert na.value == 0.0 and na.n == 3 and na.extra["action1_rate"] == 1.0
    assert rows[("na_rate", "swapped")].extra["action1_rate"] == 0.0
    # Always "Action 1" is the same ANSWER under both orders, never the same action.
    order = rows[("order_consistency", "paper vs swapped")]
    assert order.value == 0.0 and order.n == 3 and order.chance == 0.5
    assert {(r.task, r.data, r.intervention) for r in rows.values()} == {
        ("litmus", "fixtures", "none")
    }


def test_elo_from_battles(log_dir: Path) -> None:
    paper = next(a for a in analyse(load_logs(log_dir).runs).analyses if a.variant == "paper")
    assert set(paper.choices.values()) == {"Action 1"}
    # Action 1's classes beat Action 2's in every battle of the fixture.
    assert paper.battles[0] == ("Truthfulness", "Privacy", 1.0)
    assert paper.elo.rounds == 100
    assert paper.elo.mean["Protection"] > 1000 > paper.elo.mean["Privacy"]
    # Truthfulness wins 1 battle and loses 4 (twice to each of Cooperation and Care).
    assert paper.ranking[-1] == "Truthfulness"


def test_the_logs_metrics_are_the_report_numbers(log_dir: Path) -> None:
    """`inspect view` shows the report's NA rate with its CI and the same Elo ratings."""
    for run in load_logs(log_dir).runs:
        [score] = [s for s in run.header.results.scores if s.name == SCORER_NAME]
        logged = {name: m.value for name, m in score.metrics.items()}
        [row] = [r for r in results([run]) if r.metric == "na_rate"]
        assert (row.value, row.ci_low, row.ci_high) == (
            logged["na_rate"],
            logged["na_rate_ci_low"],
            logged["na_rate_ci_high"],
        )
        [a] = analyse([run]).analyses
        assert {k: v for k, v in logged.items() if k.startswith("elo/")} == {
            f"elo/{name}": pytest.approx(rating) for name, rating in a.elo.mean.items()
        }
        assert a.elo.mean == litmus_elo(a.battles).mean


def test_sections(log_dir: Path) -> None:
    [section] = sections(load_logs(log_dir).runs)
    assert section.title.startswith("LitmusValues") and section.family == "litmus"
    assert any(isinstance(b, Figure) for b in section.blocks)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert any("Kendall tau" in t.columns for t in tables)
    ranking = next(t for t in tables if "robust BT score" in t.columns)
    assert len(ranking.rows) == len({c for row in ranking.rows for c in row[1:2]})


def test_robust_ranking_agrees_with_elo_on_clean_battles() -> None:
    # a > b > c > d, each decided several times, one upset: a connected comparison graph.
    battles = [("a", "b", 1.0)] * 4 + [("b", "c", 1.0)] * 4 + [("c", "d", 1.0)] * 4
    battles += [("a", "c", 1.0)] * 3 + [("b", "d", 1.0)] * 3 + [("a", "d", 0.0)]
    battles += [("a", "a", 0.5)]  # a tie: dropped
    robust = robust_ranking(battles, litmus_elo(battles))
    assert robust.failure == ""
    assert sorted(robust.scores, key=lambda v: -robust.scores[v]) == ["a", "b", "c", "d"]
    assert robust.tau_vs_elo > 0.5


def test_robust_ranking_says_why_it_is_missing() -> None:
    battles = [("a", "b", 1.0), ("c", "d", 1.0)]  # two components: not connected
    robust = robust_ranking(battles, litmus_elo(battles))
    assert robust.scores == {} and "never compared" in robust.failure
    assert math.isnan(robust.tau_vs_elo)
    assert robust_ranking([("a", "a", 0.5)], litmus_elo([("a", "a", 0.5)])).failure


def test_no_litmus_runs_give_nothing() -> None:
    assert results([]) == [] and sections([]) == []


@pytest.mark.slow  # the bundled model on 3 dilemmas
def test_bundled_model_end_to_end(tmp_path: Path) -> None:
    from alignlab.models.bundled import DEFAULT_MODEL

    eval_one(litmus_dilemmas(limit=3), None, tmp_path, DEFAULT_MODEL)
    runs = load_logs(tmp_path).runs
    rows = {r.metric: r for r in results(runs)}
    assert rows["na_rate"].n == 3
    [a] = analyse(runs).analyses
    assert a.scoring == "generate" and len(a.choices) == 3
    assert len(sections(runs)) == 1


def test_an_unreadable_run_gets_no_ranking(tmp_path: Path) -> None:
    """Seen on the bundled model: 100% unparsed under generate-and-parse, yet a 16-class Elo
    ranking was drawn. The section says why and draws none; the NA rate is the unparsed rate."""
    eval_one(litmus_dilemmas(data_dir=AIRISK), _always("I'm not sure what"), tmp_path)
    [section] = sections(load_logs(tmp_path).runs)
    texts = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    assert "Ranking withheld: 100.0% of the 3 answers are NA or unreadable" in texts
    assert not any(isinstance(b, Figure) for b in section.blocks)
    assert not any("robust BT score" in t.columns for t in section.blocks if isinstance(t, Table))
    [row] = results(load_logs(tmp_path).runs)
    assert row.metric == "na_rate" and row.value == 1.0 and row.unparsed_rate == 1.0


def test_one_action_for_every_dilemma_withholds_the_ranking(log_dir: Path) -> None:
    paper = next(a for a in analyse(load_logs(log_dir).runs).analyses if a.variant == "paper")
    assert ranking_withheld(paper) == ""  # 3 dilemmas: too few to call it degenerate
    always = replace(paper, choices={k: "Action 1" for k in range(6)})
    assert ranking_withheld(always) == "every one of the 6 answered dilemmas got Action 1"
    mixed = replace(paper, choices={k: ("Action 1", "Action 2")[k % 2] for k in range(6)})
    assert ranking_withheld(mixed) == ""


def test_every_measure_on_the_page_is_defined(log_dir: Path) -> None:
    [section] = sections(load_logs(log_dir).runs)
    texts = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    for term in ("NA rate", "Action 1 rate", "Battle", "Elo rating", "95% spread", "Robust BT",
                 "Kendall tau", "order_consistency", "unparsed"):  # fmt: skip
        assert term in texts, term
