"""Scruples, Norm Bank and EALM analyses: hand-checked metrics on tiny mock-model logs."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from inspect_ai import Task
from inspect_ai.model import (
    ModelOutput,
    ModelUsage,
)

from alignlab.benchmarks.ealm import analysis as ealm_analysis
from alignlab.benchmarks.ealm.tasks import ealm_mp_ethics
from alignlab.benchmarks.ethics import analysis as ethics_analysis
from alignlab.benchmarks.normbank import analysis as normbank_analysis
from alignlab.benchmarks.scruples import analysis as scruples_analysis
from alignlab.benchmarks.scruples.analysis import items_of, sections
from alignlab.benchmarks.scruples.metrics import fit_concentration, item_scores
from alignlab.benchmarks.scruples.tasks import scruples_anecdotes, scruples_dilemmas
from alignlab.metrics import best_possible_score, dirichlet_multinomial_log_likelihood
from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult
from alignlab.report.sections import Table
from mock_outputs import text_output as shared_text_output
from mock_outputs import top_logprob_output
from mock_runs import eval_one

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
USAGE = ModelUsage(input_tokens=30, output_tokens=1, total_tokens=31)

logprob_output = partial(top_logprob_output, usage=USAGE)
text_output = partial(shared_text_output, usage=USAGE, model="model")


def judgment_results(log_dir: Path) -> list[MetricResult]:
    """Rows of the three moral-judgment families, as the report gets them."""
    logs = load_logs(log_dir)
    return [
        *scruples_analysis.results(logs.of_family("scruples")),
        *normbank_analysis.results(logs.of_family("normbank")),
        *ealm_analysis.results(logs.of_family("ealm")),
    ]


def per_item(log_dir: Path, calibration: str = "none") -> dict[str, Any]:
    [run_log] = load_logs(log_dir).of_family("scruples")
    scores = item_scores(items_of(run_log), calibration)
    assert scores is not None
    return scores


def run(task: Task, reply: Any, log_dir: Path) -> None:
    eval_one(task, reply, log_dir)


def rows_by(results: list[MetricResult], calibration: str = "none") -> dict[str, MetricResult]:
    return {r.metric: r for r in results if r.calibration == calibration}


# --- Scruples, log-prob path ------------------------------------------------------------


@pytest.fixture
def dilemma_logs(tmp_path: Path) -> Path:
    def reply(input: Any, tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        prompt = input[-1].text
        if "move his car" in prompt:  # fxd1, counts (0, 5): predict (0.2, 0.8)
            return logprob_output({"A": math.log(0.2), "B": math.log(0.8)})
        if "found umbrella" in prompt:  # fxd2, counts (3, 2): predict (0.4, 0.6)
            return logprob_output({"A": math.log(0.4), "B": math.log(0.6)})
        return logprob_output({"A": math.log(0.5), "B": math.log(0.5)})  # content-free

    run(scruples_dilemmas(data_dir=str(FIXTURES / "scruples_public")), reply, tmp_path)
    return tmp_path


def test_scruples_metrics_by_hand(dilemma_logs: Path) -> None:
    results = judgment_results(dilemma_logs)
    rows = rows_by(results)
    assert set(rows) == {
        "accuracy",
        "f1_macro",
        "balanced_accuracy",
        "mcc",
        "cross_entropy",
        "dm_log_likelihood",
        "ece",
    }
    for row in rows.values():
        assert (row.task, row.subset, row.variant, row.scoring) == (
            "scruples",
            "dilemmas",
            "less",
            "logprob",
        )
        assert (row.n, row.unparsed_rate) == (2, 0.0)
        assert row.ci_low <= row.value <= row.ci_high

    # fxd1: argmax 1 = gold 1, right; fxd2: argmax 1, gold 0, wrong.
    accuracy = rows["accuracy"]
    assert accuracy.value == 0.5
    assert (accuracy.chance, accuracy.majority) == (0.5, 0.5)
    counts = np.array([[0, 5], [3, 2]])
    assert accuracy.extra["best"] == pytest.approx(
        best_possible_score(counts, "accuracy", labels=np.array([1, 0]), n_samples=10_000)
    )

    # -ln 0.8 = 0.223144; -(0.6 ln 0.4 + 0.4 ln 0.6) = 0.549774 + 0.204330 = 0.754105
    xent = rows["cross_entropy"]
    assert xent.value == pytest.approx((0.223144 + 0.754105) / 2, abs=1e-6)
    assert per_item(dilemma_logs)["cross_entropy"] == pytest.approx((0.223144, 0.754105), abs=1e-6)
    assert xent.chance == pytest.approx(math.log(2))
    assert xent.extra["best"] == pytest.approx(best_possible_score(counts, "cross_entropy"))
    # Pooled annotator distribution (0.3, 0.7) for both: -ln 0.7 = 0.356675 and
    # -(0.6 ln 0.3 + 0.4 ln 0.7) = 0.722384 + 0.142670 = 0.865054.
    assert xent.extra["prior"] == pytest.approx((0.356675 + 0.865054) / 2, abs=1e-6)

    # Confidence 0.8 (right) in bin (0.7, 0.8], 0.6 (wrong) in (0.5, 0.6]:
    # ECE = 1/2 |1 - 0.8| + 1/2 |0 - 0.6| = 0.4
    assert rows["ece"].value == pytest.approx(0.4)

    dm = rows["dm_log_likelihood"]
    s = dm.extra["concentration"]
    probs = np.array([[0.2, 0.8], [0.4, 0.6]])
    expected = [
        dirichlet_multinomial_log_likelihood(s * p, x) for p, x in zip(probs, counts, strict=True)
    ]
    assert dm.value == pytest.approx(np.mean(expected))
    assert per_item(dilemma_logs)["dm_log_likelihood"] == pytest.approx(expected)


def test_contextual_rows_when_the_content_free_prompt_was_scored(dilemma_logs: Path) -> None:
    results = judgment_results(dilemma_logs)
    # A uniform content-free answer leaves the distributions unchanged.
    raw, calibrated = rows_by(results), rows_by(results, "contextual")
    assert set(calibrated) == set(raw)
    for metric in raw:
        assert calibrated[metric].value == pytest.approx(raw[metric].value)


def test_an_unreadable_item_counts_as_wrong_under_both_calibrations(tmp_path: Path) -> None:
    def reply(input: Any, tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        if "found umbrella" in input[-1].text:
            return logprob_output({"The": -0.2, "I": -1.0})  # neither A nor B
        if "A: N/A" in input[-1].text:
            return logprob_output({"A": math.log(0.5), "B": math.log(0.5)})
        return logprob_output({"A": math.log(0.2), "B": math.log(0.8)})

    run(scruples_dilemmas(data_dir=str(FIXTURES / "scruples_public")), reply, tmp_path)
    results = judgment_results(tmp_path)
    for calibration in ("none", "contextual"):
        rows = rows_by(results, calibration)
        scores = per_item(tmp_path, calibration)
        assert tuple(scores["accuracy"]) == (1.0, 0.0)
        assert rows["accuracy"].value == 0.5
        assert rows["accuracy"].unparsed_rate == 0.5
        # The unreadable item predicts the uniform distribution: ln 2 against (0.6, 0.4).
        assert scores["cross_entropy"][1] == pytest.approx(math.log(2))


def test_judgment_logs_are_not_reported_twice(dilemma_logs: Path) -> None:
    assert ethics_analysis.results(load_logs(dilemma_logs).of_family("ethics")) == []


def test_section_puts_scores_beside_best(dilemma_logs: Path) -> None:
    [section] = sections(load_logs(dilemma_logs).of_family("scruples"))
    assert "BEST" in section.title
    [table] = [b for b in section.blocks if isinstance(b, Table)]
    cells = {str(c) for row in table.rows for c in row}
    assert "mockllm/model" in cells and "cross_entropy (lower is better)" in cells
    assert section.warnings == ()
    assert sections([]) == []


def test_fitted_concentration_maximises_the_dm_likelihood() -> None:
    # Annotators agree more within an item than the predictions say: a finite optimum.
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.6, 0.4]])
    counts = np.array([[5, 0], [0, 5], [4, 1]])

    def total(s: float) -> float:
        return sum(
            dirichlet_multinomial_log_likelihood(s * p, x)
            for p, x in zip(probs, counts, strict=True)
        )

    s = fit_concentration(probs, counts)
    assert 0.01 < s < 100
    assert total(s) >= total(s * 1.05) and total(s) >= total(s / 1.05)


# --- Scruples, sampling path ------------------------------------------------------------


def test_sampled_distributions_and_unparsed_items(tmp_path: Path) -> None:
    answers = {
        "neighbor to move": ["OTHER", "other people", "NOBODY"],
        "office party": ["NOBODY"] * 3,
        "sister's diary": ["?"] * 3,
    }

    def reply(input: Any, tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        prompt = input[-1].text
        key = next(k for k in answers if k in prompt)
        return text_output(answers[key].pop())

    task = scruples_anecdotes(
        data_dir=str(FIXTURES / "scruples_public"), scoring="sample", epochs=3
    )
    run(task, reply, tmp_path)
    results = judgment_results(tmp_path)
    assert {r.calibration for r in results} == {"none"}  # nothing to calibrate when sampling
    rows = rows_by(results)
    for row in rows.values():
        assert (row.n, row.scoring) == (3, "sample")
        assert row.unparsed_rate == pytest.approx(1 / 3)
        assert row.extra["answers_per_item"] == 3
    # Votes (OTHER 2, NOBODY 1) and (NOBODY 3) -> (c + 1/2) / 5.5; the third is unreadable.
    assert rows["accuracy"].value == pytest.approx(2 / 3)
    assert rows["accuracy"].chance == pytest.approx(0.2)
    assert rows["accuracy"].majority == pytest.approx(1 / 3)
    # fx1a: 0.1 ln 11 + 0.8 ln 2.2 + 0.1 ln(11/3) = 0.239790 + 0.630766 + 0.129928 = 1.000484
    # fx1b: 0.75 ln(11/7) + 0.25 ln 11 = 0.338989 + 0.599474 = 0.938463
    # fx1c: uniform, ln 5 = 1.609438
    assert per_item(tmp_path)["cross_entropy"] == pytest.approx(
        (1.000484, 0.938463, 1.609438), abs=1e-6
    )
    # Confidences 2.5/5.5 and 3.5/5.5 (right), 0.2 (wrong), each alone in its bin:
    # (0.545455 + 0.363636 + 0.2) / 3 = 0.369697
    assert rows["ece"].value == pytest.approx(0.369697, abs=1e-6)


# --- MP-ETHICS --------------------------------------------------------------------------

SCENARIOS = ("extra change", "about her cooking", "bonus to his cousin")
LENSES = ("commonsense morality", "deontology", "justice", "utilitarianism", "virtue ethics")
# The model's verdict (1 = ethical) per scenario and concept; None: no readable answer.
VERDICTS = ((1, 1, 1, 1, None), (1, 1, 1, 1, 1), (0, 0, 0, 0, 0))
# Gold (fixture):        (1, 1, 1, 1, 1),  (1, 0, 1, 1, 1),  (0, 0, 0, 0, 0)


def mp_reply(input: Any, tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
    prompt = input[-1].text
    if '"N/A"' in prompt:
        return logprob_output({"yes": -0.7, "no": -0.7})
    row = next(i for i, s in enumerate(SCENARIOS) if s in prompt)
    column = next(i for i, lens in enumerate(LENSES) if lens in prompt)
    verdict = VERDICTS[row][column]
    if verdict is None:
        return logprob_output({"Well": -0.2, "I": -1.0})
    says_yes = verdict == 1 if "unethical" not in prompt else verdict == 0
    return logprob_output({"yes": -0.1, "no": -2.5} if says_yes else {"no": -0.1, "yes": -2.5})


@pytest.mark.parametrize("variant", ["default", "reverse"])
def test_mp_ethics_f1_and_exact_match_by_hand(tmp_path: Path, variant: str) -> None:
    run(ealm_mp_ethics(variant=variant, data_dir=str(FIXTURES / "ealm_public")), mp_reply, tmp_path)
    rows = rows_by(judgment_results(tmp_path))
    for row in rows.values():
        assert (row.task, row.subset, row.variant) == ("ealm", "mp-ethics", variant)
        assert row.unparsed_rate == pytest.approx(1 / 15)
    # TP 8 (4 + 4), FP 1 (scenario 2, deontology), FN 1 (scenario 1, virtue: unreadable)
    micro = rows["micro_f1"]
    assert micro.value == pytest.approx(16 / 18)
    assert micro.n == 3
    # Per concept: 1, 2/3 (deontology), 1, 1, 2/3 (virtue)
    assert rows["macro_f1"].value == pytest.approx((3 + 4 / 3) / 5)
    # Always "ethical" (9 of 15 gold cells): micro 18/24; macro (0.8 + 0.5 + 0.8 + 0.8 + 0.8) / 5
    assert micro.majority == pytest.approx(0.75)
    assert rows["macro_f1"].majority == pytest.approx(0.74)
    assert 0.4 < micro.chance < 0.6  # coin flips: about 2P / (3P + N) = 18 / 33
    # From the forced-choice rows: only scenario 3 has all five right; 13 of 15 questions.
    assert rows["exact_match"].value == pytest.approx(1 / 3)
    assert rows["exact_match"].chance == pytest.approx(1 / 32)
    assert rows["accuracy"].value == pytest.approx(13 / 15)
    assert rows["accuracy"].n == 15
    # The unreadable answer has no calibrated version, so no calibrated F1 rows.
    assert not [
        r for r in judgment_results(tmp_path) if r.calibration == "contextual" and "f1" in r.metric
    ]


# --- the bundled model, end to end ------------------------------------------------------


def test_bundled_model_runs_the_judgment_suite_and_reports(tmp_path: Path) -> None:
    from alignlab.runner import run_eval

    outcome = run_eval(suite="judgment", log_dir=tmp_path / "logs", limit=3, display="none")
    assert outcome.success
    results = judgment_results(tmp_path / "logs")
    found = {(r.task, r.subset, r.metric) for r in results if r.calibration == "none"}
    for subset in ("anecdotes", "dilemmas"):
        for metric in ("accuracy", "f1_macro", "mcc", "cross_entropy", "dm_log_likelihood", "ece"):
            assert ("scruples", subset, metric) in found
    for subset in ("freeform", "yesno", "relative"):
        assert ("delphi", subset, "accuracy") in found
    assert ("ealm", "qa-ethics", "accuracy") in found
    for metric in ("accuracy", "exact_match", "micro_f1", "macro_f1"):
        assert ("ealm", "mp-ethics", metric) in found
    for r in results:
        assert r.model == "alignlab/smollm2"
        assert r.scoring == "logprob"  # llama.cpp gives log-probabilities
        per_question = r.subset == "mp-ethics" and r.metric in ("accuracy", "auc")
        assert r.n == (15 if per_question else 3)
        assert r.unparsed_rate == 0.0  # the provider scores every answer word
        if not math.isnan(r.value):
            assert r.ci_low <= r.value <= r.ci_high
    [section] = sections(load_logs(tmp_path / "logs").of_family("scruples"))
    assert section.title == "Scruples: model against BEST"


# --- paper metrics in the log; F1-macro, balanced accuracy, MCC; BEST warnings -----------


def test_logged_metrics_are_the_report_rows_and_equal_scikit_learn(dilemma_logs: Path) -> None:
    from sklearn.metrics import balanced_accuracy_score, f1_score, matthews_corrcoef

    from alignlab.benchmarks.scruples.metrics import scruples_numbers
    from alignlab.benchmarks.scruples.tasks import SCORER_NAME
    from alignlab.scorers.choice_metrics import numbers_in_log

    [run_log] = load_logs(dilemma_logs).of_family("scruples")
    logged = numbers_in_log(run_log.header, SCORER_NAME)
    assert logged is not None  # inspect view shows these numbers
    recomputed = scruples_numbers(items_of(run_log))
    assert logged.keys() == recomputed.keys()
    for key, value in recomputed.items():
        assert logged[key] == pytest.approx(value, nan_ok=True), key
    rows = rows_by(scruples_analysis.results([run_log]))
    for metric, row in rows.items():
        assert (row.value, row.ci_low, row.ci_high) == (
            logged[f"{metric}.none"],
            logged[f"{metric}.none.ci_low"],
            logged[f"{metric}.none.ci_high"],
        )
    # Predictions (1, 1) against gold (1, 0).
    gold, pred = [1, 0], [1, 1]
    assert rows["f1_macro"].value == pytest.approx(f1_score(gold, pred, average="macro"))
    assert rows["balanced_accuracy"].value == pytest.approx(balanced_accuracy_score(gold, pred))
    assert rows["mcc"].value == pytest.approx(matthews_corrcoef(gold, pred))
    assert rows["balanced_accuracy"].chance == pytest.approx(0.5, abs=0.03)
    assert rows["mcc"].majority == 0.0
    for metric in ("f1_macro", "balanced_accuracy", "mcc"):
        assert 0.0 < rows[metric].extra["best"] <= 1.0


def test_missing_best_is_a_counted_warning_not_a_silent_gap(tmp_path: Path) -> None:
    """Defect 4: one dilemma's counts fit no Dirichlet prior; BEST was silently dropped."""

    def reply(input: Any, tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        return logprob_output({"A": math.log(0.3), "B": math.log(0.7)})

    run(scruples_dilemmas(data_dir=str(FIXTURES / "scruples_public"), limit=1), reply, tmp_path)
    runs = load_logs(tmp_path).of_family("scruples")
    rows = scruples_analysis.results(runs)
    assert rows and not any("best" in r.extra for r in rows)
    [section] = sections(runs)
    [warning] = section.warnings
    # accuracy, f1_macro, balanced_accuracy, mcc and cross_entropy, under both calibrations
    assert "BEST could not be computed for 10 Scruples row(s)" in warning
    assert "dilemmas" in warning
