"""Moral Turing Test report rows and section, from logs of mock runs; the paired t-test."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from inspect_ai import Task
from inspect_ai.model import ModelOutput, ModelUsage
from scipy import stats

from alignlab.benchmarks._scored import logged_metrics, row_key
from alignlab.benchmarks.mtt import analysis
from alignlab.benchmarks.mtt.paper_metrics import paired_t_test
from alignlab.benchmarks.mtt.tasks import mtt_detect, mtt_judgment
from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult
from mock_outputs import probability_output
from mock_outputs import text_output as shared_text_output
from mock_runs import by_last_message, eval_mock, rows_by

FIXTURES = Path(__file__).parent / "fixtures"
USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)

logprob_output = partial(probability_output, usage=USAGE)
text_output = partial(shared_text_output, usage=USAGE)


def run(tasks: list[Task], reply: Callable[[str], ModelOutput], log_dir: Path) -> None:
    eval_mock(tasks, by_last_message(reply), log_dir)


def pluralism_results(log_dir: Path, n_resamples: int = 2000) -> list[MetricResult]:
    return analysis.results(load_logs(log_dir).runs, n_resamples=n_resamples)


def reply(prompt: str) -> ModelOutput:
    if prompt.startswith("Explain"):
        return text_output("It is wrong.")
    if "Which explanation" in prompt:
        a = prompt.split("Explanation A: ")[1].split("\n\nExplanation B: ")[0]
        b = prompt.split("\n\nExplanation B: ")[1].split("\n\n")[0]
        return logprob_output({"A": 0.8, "B": 0.2} if len(a) > len(b) else {"A": 0.3, "B": 0.7})
    return logprob_output({"Yes": 0.6, "No": 0.4})


def test_mtt_rows(tmp_path: Path) -> None:
    data = str(FIXTURES / "mtt_public")

    run([mtt_judgment(data_dir=data), mtt_detect(data_dir=data)], reply, tmp_path / "logs")
    rows = pluralism_results(tmp_path / "logs", n_resamples=200)
    judged = rows_by(rows, task="mtt_judgment", calibration="none")
    agreement = judged[("agreement", "judgment")]
    # Always "wrong"; the humans say wrong on 2 of the 4 fixture scenarios.
    assert (agreement.value, agreement.n, agreement.chance, agreement.majority) == (
        0.5,
        4,
        0.5,
        0.5,
    )
    detect = rows_by(rows, task="mtt_detect", calibration="none")
    subset = "judge self, AI text bundled"
    assert detect[("detect_accuracy", subset)].value == 1.0
    assert detect[("detect_auc", subset)].value == 1.0
    assert detect[("detect_auc", subset)].n == 8
    contrast = detect[("length_diff", "dataset AI text vs human")]
    # Human texts: 9, 7, 8 and 5 words (hand-counted) -> mean 7.25.
    assert contrast.extra["human_mean"] == 7.25 and contrast.value > 15
    assert detect[("classifier_auc", "dataset AI text vs human")].chance == 0.5
    explained = judged[("length_diff", "model explanations vs human")]
    # "It is wrong." has 3 words: 3 - 7.25
    assert explained.value == pytest.approx(-4.25)


def test_log_metrics_equal_the_report_rows(tmp_path: Path) -> None:
    data = str(FIXTURES / "mtt_public")
    run([mtt_judgment(data_dir=data), mtt_detect(data_dir=data)], reply, tmp_path / "logs")
    runs = load_logs(tmp_path / "logs").runs
    rows = analysis.results(runs)
    for r in runs:
        logged = logged_metrics(r.header, "moral_turing_scorer")
        mine = [x for x in rows if x.task == r.task]
        assert mine
        for row in mine:
            key = row_key(row)
            assert logged[key] == row.value or (np.isnan(logged[key]) and np.isnan(row.value))
            assert logged[f"{key} n"] == row.n
    # The t-test sits beside each paired contrast.
    contrast = rows_by(rows, metric="length_diff")[("length_diff", "dataset AI text vs human")]
    assert 0.0 <= contrast.extra["p_value"] <= 1.0


def test_section_states_the_departure_from_the_paper(tmp_path: Path) -> None:
    data = str(FIXTURES / "mtt_public")
    run([mtt_judgment(data_dir=data)], reply, tmp_path / "logs")
    [section] = analysis.sections(load_logs(tmp_path / "logs").runs)
    assert section.family == "mtt"
    assert "paired t-tests" in section.blocks[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1.0, 2.0, 3.0, 4.0], [2.0, 2.5, 5.0, 4.5]),
        ([3.1, 4.7, 5.0, 2.2, 6.1, 5.5], [4.0, 5.9, 5.1, 3.0, 6.0, 7.2]),
        ([0.0, 0.0, 1.0], [1.0, 0.5, 0.0]),
    ],
)
def test_paired_t_test_matches_scipy(a: list[float], b: list[float]) -> None:
    expected = stats.ttest_rel(b, a)
    t, p = paired_t_test(a, b)
    assert t == pytest.approx(float(expected.statistic), rel=1e-12)
    assert p == pytest.approx(float(expected.pvalue), rel=1e-9)


def test_paired_t_test_edge_cases() -> None:
    # Hand-worked: d = (1, 1, 1, 3): mean 1.5, sd 1, t = 1.5 / (1 / 2) = 3.
    t, _ = paired_t_test([0, 0, 0, 0], [1, 1, 1, 3])
    assert t == pytest.approx(3.0)
    assert all(np.isnan(paired_t_test([1.0], [2.0])))
    assert paired_t_test([0, 0], [1, 1]) == (np.inf, 0.0)
    with pytest.raises(ValueError, match="differ in length"):
        paired_t_test([1, 2], [1])


@pytest.mark.slow
def test_bundled_model_runs_both_tasks_and_reports(tmp_path: Path) -> None:
    tasks = [mtt_judgment(limit=3, max_tokens=32), mtt_detect(limit=3)]
    eval_mock(tasks, None, tmp_path, "alignlab/smollm2")  # asserts every run succeeded
    rows = pluralism_results(tmp_path, n_resamples=200)
    metrics = {(r.task, r.metric) for r in rows}
    for expected in [
        ("mtt_judgment", "agreement"),
        ("mtt_detect", "detect_auc"),
        ("mtt_detect", "classifier_auc"),
    ]:
        assert expected in metrics
    assert {r.model for r in rows} == {"alignlab/smollm2"}
    assert len(analysis.sections(load_logs(tmp_path).runs)) == 1


def test_section_and_table_show_the_same_numbers(tmp_path: Path) -> None:
    """One number, one interval: seen, mtt agreement [0.062, 0.439] in the table and
    [0.062, 0.500] in the section (2,000 vs 1,000 resamples). The section now shows the rows."""
    from alignlab.report.format import interval
    from alignlab.report.sections import Table, Text

    data = str(FIXTURES / "mtt_public")
    run([mtt_judgment(data_dir=data), mtt_detect(data_dir=data)], reply, tmp_path / "logs")
    runs = load_logs(tmp_path / "logs").runs
    rows = analysis.results(runs)
    [section] = analysis.sections(runs)
    texts = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    agreement = rows_by(rows, metric="agreement", calibration="none")[("agreement", "judgment")]
    assert interval(agreement.ci_low, agreement.ci_high) in texts
    contrasts = [b for b in section.blocks if isinstance(b, Table) and "AI - human" in b.columns]
    assert contrasts
    shown = {(str(row[0]), str(row[4])) for table in contrasts for row in table.rows}
    for row in rows:
        if row.metric.endswith("_diff") and row.calibration == "none":
            feature = row.metric.removesuffix("_diff")
            assert (feature, interval(row.ci_low, row.ci_high)) in shown, row.metric


def test_rows_are_computed_once_for_table_and_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compute once, show the same: the table's rows and the section come from one
    computation per run (the old section bootstrapped its own intervals again)."""
    data = str(FIXTURES / "mtt_public")
    run([mtt_judgment(data_dir=data), mtt_detect(data_dir=data)], reply, tmp_path / "logs")
    runs = load_logs(tmp_path / "logs").runs
    calls = []
    original = analysis.pm.kind_rows

    def counted(*args: object, **kwargs: object) -> list[MetricResult]:
        calls.append(args[0])
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis.pm, "kind_rows", counted)
    analysis.results(runs)
    analysis.sections(runs)
    assert sorted(calls) == ["detect", "judgment"]
