"""Tests for alignlab.benchmarks.utility.analysis: utilities, rows and sections from mock logs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import (
    ChatMessage,
    ModelOutput,
    ModelUsage,
    get_model,
)

from alignlab.benchmarks.utility.analysis import analyse, rate_note, results, sections
from alignlab.benchmarks.utility.fit import exchange_rate_intervals, exchange_rates, mean_and_ci
from alignlab.benchmarks.utility.tasks import SCORER_NAME, utility_pairs
from alignlab.metrics import kendall_tau
from alignlab.report.logs import load_logs
from alignlab.report.sections import Figure, Heading, Table, Text
from mock_outputs import probability_output, text_output
from mock_runs import eval_one

USAGE = ModelUsage(input_tokens=30, output_tokens=1, total_tokens=31)

# A coherent mock model: fixed utilities, P(A) logistic in the utility difference.
UTILITY = {
    "1 person is cured.": 0.0,
    "10 people are cured.": 0.5 * math.log(10),
    "100 people are cured.": 0.5 * math.log(100),
    "1 dog is adopted.": -0.5,
    "10 dogs are adopted.": 0.25 * math.log(10) - 0.5,
    "100 dogs are adopted.": 0.25 * math.log(100) - 0.5,
    "A storm floods a village.": -2.0,
    "<b>Bold</b> & brave coffee.": 1.0,
}


def _outcomes_file(tmp_path: Path) -> Path:
    rows = []
    for k, text in enumerate(UTILITY):
        row: dict[str, Any] = {"id": f"x{k}", "text": text, "category": "test"}
        if "cured" in text or "adopted" in text:
            good = "people cured" if "cured" in text else "dogs adopted"
            row.update(quantity=int(text.split()[0]), good=good)
        rows.append(row)
    path = tmp_path / "outcomes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _options(prompt: str) -> tuple[str, str]:
    option_a = prompt.split("Option A:\n")[1].split("\n\nOption B:")[0]
    option_b = prompt.split("Option B:\n")[1].split("\n\nPlease")[0]
    return option_a, option_b


def _coherent_model(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    option_a, option_b = _options(messages[-1].text)
    p_a = 1 / (1 + math.exp(-2 * (UTILITY[option_a] - UTILITY[option_b])))
    return probability_output({"A": p_a, "B": 1 - p_a}, USAGE)


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("utility_logs")
    eval(
        utility_pairs(data_dir=str(_outcomes_file(root)), pairs="all"),
        model=get_model("mockllm/model", custom_outputs=_coherent_model),
        log_dir=str(root),
        display="none",
    )
    return root


def test_a_coherent_model_gets_coherent_utilities(log_dir: Path) -> None:
    [u] = analyse(load_logs(log_dir).runs).analyses
    assert len(u.outcomes) == 8 and len(u.preferences) == 28
    fitted = [u.fit.means[k] for k in range(8)]
    truth = [UTILITY[o["text"]] for o in u.outcomes]
    assert kendall_tau(fitted, truth) == pytest.approx(1.0)
    assert u.unparsed_rate == 0.0 and u.intervention == "none" and u.epochs == 1
    # Exchange rate: 0.25 ln N - 0.5 = 0 at N = e^2, so 1 person cured ~ 7.4 dogs adopted.
    rates = {(x, y): n for x, y, n in exchange_rates(u.families)}
    assert len(u.families) == 2
    assert 3 < rates[("dogs adopted", "people cured")] < 20


def test_exchange_rates_carry_a_bootstrap_interval(log_dir: Path) -> None:
    [u] = analyse(load_logs(log_dir).runs).analyses
    rates = {(r.x, r.y): r for r in exchange_rate_intervals(u.outcomes, u.measures.edges, u.fit)}
    point = {(x, y): n for x, y, n in exchange_rates(u.families)}
    assert rates.keys() == point.keys()
    dogs = rates[("dogs adopted", "people cured")]
    assert dogs.rate == point[("dogs adopted", "people cured")]
    assert dogs.usable >= 0.5 * dogs.resamples
    assert 0 < dogs.low <= dogs.rate <= dogs.high < math.inf
    # Same seed, same interval; another seed, another draw of the pairs.
    again = exchange_rate_intervals(u.outcomes, u.measures.edges, u.fit, resamples=50, seed=1)
    assert again == exchange_rate_intervals(
        u.outcomes, u.measures.edges, u.fit, resamples=50, seed=1
    )
    # The section's table shows the interval beside every rate.
    [section] = sections(load_logs(log_dir).runs)
    [table] = [b for b in section.blocks if isinstance(b, Table) and "95% CI" in b.columns]
    assert all(str(row[3]).startswith("[") for row in table.rows)


def test_an_indifferent_model_gets_no_exchange_rate_as_a_finding(tmp_path: Path) -> None:
    """Answers at 0.5 everywhere: the slopes are noise, so no rate is shown as a finding."""
    eval_one(
        utility_pairs(data_dir=str(_outcomes_file(tmp_path)), pairs="all"),
        lambda *_: probability_output({"A": 0.5, "B": 0.5}, USAGE),
        tmp_path / "logs",
    )
    [u] = analyse(load_logs(tmp_path / "logs").runs).analyses
    for rate in exchange_rate_intervals(u.outcomes, u.measures.edges, u.fit, resamples=50):
        assert rate_note(rate) != ""


def test_rows(log_dir: Path) -> None:
    rows = {(r.task, r.metric, r.variant): r for r in results(load_logs(log_dir).runs)}
    accuracy = rows[("utility", "holdout_accuracy", "paper")]
    assert accuracy.value == 1.0 and accuracy.n == 28 and accuracy.chance == 0.5
    assert accuracy.extra["half_vs_all_tau"] > 0.8
    # The paper's single 5% holdout: one of 28 pairs, predicted right by a coherent model.
    assert accuracy.extra["paper_holdout_pairs"] == 1.0
    assert accuracy.extra["paper_holdout_accuracy"] == 1.0
    cycles = rows[("utility", "cycle_rate", "paper")]
    assert cycles.n == math.comb(8, 3) and cycles.value < 0.1 and cycles.chance == 0.25
    assert cycles.extra["intransitive_triads"] == 0.0
    consistency = rows[("utility", "order_consistency", "paper")]
    assert consistency.value == 1.0 and consistency.extra["same_letter"] == 0.0
    assert consistency.extra["letter_a_rate"] == pytest.approx(0.5)
    assert {(r.data, r.intervention) for r in rows.values()} == {("outcomes.jsonl", "none")}


def test_the_logs_metrics_are_the_report_rows(log_dir: Path) -> None:
    """`inspect view` shows the report's numbers: the Inspect metrics equal the rows, and
    recomputing the rows from the samples gives the same values and CIs."""
    [run] = load_logs(log_dir).runs
    [score] = [s for s in run.header.results.scores if s.name == SCORER_NAME]
    logged = {name: m.value for name, m in score.metrics.items()}
    [u] = analyse([run]).analyses
    units = {
        "holdout_accuracy": u.measures.holdout_correct,
        "cycle_rate": u.measures.triad_cycles,
        "order_consistency": u.measures.same_outcome,
    }
    for row in results([run]):
        assert (row.value, row.ci_low, row.ci_high) == (
            logged[row.metric],
            logged[f"{row.metric}_ci_low"],
            logged[f"{row.metric}_ci_high"],
        )
        assert mean_and_ci(units[row.metric]) == pytest.approx((row.value, row.ci_low, row.ci_high))
    assert logged["paper_holdout_accuracy"] == u.measures.paper_holdout_accuracy


def test_sections_are_structured_blocks_with_charts(log_dir: Path) -> None:
    [section] = sections(load_logs(log_dir).runs)
    assert section.title.startswith("Utility Engineering") and section.family == "utility"
    assert section.warnings == ()
    figures = [b for b in section.blocks if isinstance(b, Figure)]
    assert len(figures) == 2  # utilities, exchange rates
    assert all(f.src.startswith("data:image/png;base64,") for f in figures)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    cells = {str(c) for t in tables for row in t.rows for c in row}
    assert "<b>Bold</b> & brave coffee." in cells  # raw text: the template escapes it
    assert "people cured" in cells
    # Departures from the paper are stated in the report.
    texts = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    assert "10-fold" in texts and "5%" in texts
    assert any(isinstance(b, Heading) for b in section.blocks)


def test_analyses_are_cached_for_the_same_runs(log_dir: Path) -> None:
    runs = load_logs(log_dir).runs
    assert analyse(runs) is analyse(runs)


def test_no_utility_runs_give_nothing() -> None:
    assert results([]) == [] and sections([]) == []


def test_too_few_pairs_is_a_visible_warning_with_a_count(tmp_path: Path) -> None:
    outcomes = _outcomes_file(tmp_path)
    eval(
        utility_pairs(data_dir=str(outcomes), pairs="random", n_pairs=1),
        model=get_model("mockllm/model", custom_outputs=_coherent_model),
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    runs = load_logs(tmp_path / "logs").runs
    rows = {r.metric: r for r in results(runs)}
    assert rows["holdout_accuracy"].n == 0 and math.isnan(rows["holdout_accuracy"].value)
    [section] = sections(runs)
    assert any(
        w.startswith("holdout_accuracy could not be computed for 1 run(s)")
        for w in section.warnings
    )
    assert any(
        w.startswith("cycle_rate could not be computed for 1 run(s)") for w in section.warnings
    )


def test_sampled_epochs_pool_like_the_paper_in_the_log_and_the_report(tmp_path: Path) -> None:
    """K sampled answers per prompt, some unparseable and skipped: the Inspect metrics
    (over epoch-reduced scores) equal the report (over every answer)."""
    outcomes = _outcomes_file(tmp_path)
    calls = iter(range(10_000))

    def answer(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        option_a, option_b = _options(messages[-1].text)
        k = next(calls)
        if k % 3 == 0:
            return text_output("Hmm.", USAGE)  # unparseable
        better = "A" if UTILITY[option_a] >= UTILITY[option_b] else "B"
        worse = "B" if better == "A" else "A"
        return text_output(better if k % 4 else worse, USAGE)

    [log] = eval(
        utility_pairs(
            data_dir=str(outcomes), pairs="all", scoring="generate", epochs=3, unparseable="skip"
        ),
        model=get_model("mockllm/model", custom_outputs=answer),
        log_dir=str(tmp_path / "logs"),
        display="none",
        max_connections=1,
    )
    assert log.status == "success", log.error
    runs = load_logs(tmp_path / "logs").runs
    [u] = analyse(runs).analyses
    assert u.epochs == 3 and u.n_responses == 28 * 2 * 3
    metrics = log.results.scores[0].metrics  # type: ignore[union-attr]
    for metric, units in (
        ("order_consistency", u.measures.same_outcome),
        ("holdout_accuracy", u.measures.holdout_correct),
        ("cycle_rate", u.measures.triad_cycles),
    ):
        assert mean_and_ci(units) == pytest.approx(
            (
                metrics[metric].value,
                metrics[f"{metric}_ci_low"].value,
                metrics[f"{metric}_ci_high"].value,
            )
        )
    assert metrics["letter_a_rate"].value == pytest.approx(u.letter_a_rate)
    assert metrics["unparsed_rate"].value == pytest.approx(u.unparsed_rate)


# --- the real bundled model ----------------------------------------------------------------------


@pytest.mark.slow  # the bundled model on 6 samples
def test_bundled_model_end_to_end(tmp_path: Path) -> None:
    from alignlab.models.bundled import DEFAULT_MODEL

    # one triad, both orders: 6 samples
    eval_one(utility_pairs(pairs="triads", n_pairs=3), None, tmp_path, DEFAULT_MODEL)
    runs = load_logs(tmp_path).runs
    rows = {r.metric: r for r in results(runs)}
    assert rows["cycle_rate"].n == 1
    assert rows["order_consistency"].n == 3
    [u] = analyse(runs).analyses
    assert u.scoring == "logprob" and len(u.preferences) == 3
    assert len(sections(runs)) == 1
