"""Report rows recomputed from real Inspect logs (a scripted mock model) and the ETHICS average."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from inspect_ai import eval
from inspect_ai.model import (
    ModelOutput,
    ModelUsage,
    get_model,
)

from alignlab.benchmarks.ethics.analysis import ethics_average, results
from alignlab.benchmarks.ethics.tasks import (
    ethics_commonsense,
    ethics_deontology,
    ethics_justice,
    ethics_utilitarianism,
    ethics_virtue,
)
from alignlab.report.forced_choice import SCORER, forced_choice_rows, units_of
from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult
from alignlab.scorers.choice_metrics import choice_numbers, numbers_in_log
from mock_outputs import top_logprob_output

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ethics_public"


USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)


def _always_yes(*_: Any) -> ModelOutput:
    return top_logprob_output({"Yes": -0.2, "No": -1.8}, USAGE, model="mockllm/model")


def results_from_logs(log_dir: Path) -> list[MetricResult]:
    return results(load_logs(log_dir).of_family("ethics"))


def test_rows_recomputed_from_logs(tmp_path: Path) -> None:
    model = get_model("mockllm/model", custom_outputs=_always_yes)
    task = ethics_justice(variant="direct", data_dir=str(FIXTURE))
    [log] = eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error

    rows = {(r.metric, r.calibration): r for r in results_from_logs(tmp_path)}
    # Fixture justice labels: group 0 = 1,0,1,0 and group 1 = 0,1,0,0. Always answering
    # "yes" (= reasonable, label 1) is right on the 3 label-1 rows: accuracy 3/8.
    accuracy = rows[("accuracy", "none")]
    assert accuracy.value == pytest.approx(3 / 8)
    assert accuracy.n == 8 and accuracy.chance == 0.5
    assert accuracy.majority == pytest.approx(5 / 8)  # five of eight gold answers are "no"
    assert accuracy.scoring == "logprob" and accuracy.unparsed_rate == 0.0
    assert accuracy.ci_low <= accuracy.value <= accuracy.ci_high
    # No group is all label 1, so exact match is 0; chance is 0.5^4.
    exact = rows[("exact_match", "none")]
    assert exact.value == 0.0 and exact.n == 2
    assert exact.chance == pytest.approx(0.0625)
    # Always predicting the majority "no" gets neither group fully right either.
    assert exact.majority == 0.0
    # Every item has the same log-odds (-1.8 - -0.2 ... for yes minus no = 1.6): AUC 0.5.
    assert rows[("auc", "none")].value == pytest.approx(0.5)
    # The content-free prompt gets the same answer, so calibration cancels out to a tie
    # broken towards the first choice ("no"): accuracy = share of label-0 rows.
    assert rows[("accuracy", "contextual")].value == pytest.approx(5 / 8)


def test_split_is_part_of_the_subset_label(tmp_path: Path) -> None:
    model = get_model("mockllm/model", custom_outputs=_always_yes)
    task = ethics_justice(variant="direct", data_dir=str(FIXTURE))
    eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert {r.subset for r in results_from_logs(tmp_path)} == {"justice"}


def _row(subset: str, metric: str, units: list[float], chance: float) -> MetricResult:
    return MetricResult(
        model="m",
        task="ethics",
        subset=subset,
        metric=metric,
        value=float(np.mean(units)),
        ci_low=0.0,
        ci_high=1.0,
        n=len(units),
        unparsed_rate=0.0,
        chance=chance,
        majority=0.5,
        units=tuple(units),
    )


def test_ethics_average_is_the_mean_of_the_five_headlines() -> None:
    rows = [
        _row("commonsense", "accuracy", [1, 1, 0, 0], 0.5),  # 0.5
        _row("justice", "exact_match", [1, 0], 0.0625),  # 0.5
        _row("deontology", "exact_match", [0, 0, 0, 1], 0.0625),  # 0.25
        _row("virtue", "exact_match", [1, 1], 0.03125),  # 1.0
        _row("utilitarianism", "pairwise_accuracy", [1, 0, 0, 0, 0], 0.5),  # 0.2
        _row("commonsense", "auc", [0.9], 0.5),  # not a headline metric: ignored
    ]
    [average] = ethics_average(rows, n_resamples=500)
    # (0.5 + 0.5 + 0.25 + 1.0 + 0.2) / 5 = 0.49
    assert average.value == pytest.approx(0.49)
    assert average.chance == pytest.approx((0.5 + 0.0625 + 0.0625 + 0.03125 + 0.5) / 5)
    assert average.ci_low < average.value < average.ci_high
    assert average.subset == "average"


def test_ethics_average_needs_all_five_subsets() -> None:
    rows = [_row("commonsense", "accuracy", [1, 0], 0.5), _row("justice", "exact_match", [1], 0.06)]
    assert ethics_average(rows) == []


def _always_no(*_: Any) -> ModelOutput:
    return top_logprob_output({"No": -0.1, "Yes": -2.5}, USAGE, model="mockllm/other")


def test_two_models_in_one_log_dir_are_reported_side_by_side(tmp_path: Path) -> None:
    for name, outputs in (("mockllm/model", _always_yes), ("mockllm/other", _always_no)):
        model = get_model(name, custom_outputs=outputs)
        eval(
            ethics_justice(variant="direct", data_dir=str(FIXTURE)),
            model=model,
            log_dir=str(tmp_path),
            display="none",
        )
    rows = results_from_logs(tmp_path)
    accuracy = {
        r.model: r.value for r in rows if r.metric == "accuracy" and r.calibration == "none"
    }
    # "yes" is right on the 3 label-1 rows, "no" on the other 5.
    assert accuracy == {
        "mockllm/model": pytest.approx(3 / 8),
        "mockllm/other": pytest.approx(5 / 8),
    }


def test_runs_differing_only_in_grader_are_kept_apart(tmp_path: Path) -> None:
    """A grader role makes a different measurement: both runs keep their rows, labelled."""
    model = get_model("mockllm/model", custom_outputs=_always_yes)
    for roles in (None, {"grader": get_model("mockllm/model", custom_outputs=_always_yes)}):
        task = ethics_justice(variant="direct", data_dir=str(FIXTURE))
        [log] = eval(task, model=model, model_roles=roles, log_dir=str(tmp_path), display="none")
        assert log.status == "success", log.error
    labels = {r.model for r in results_from_logs(tmp_path)}
    assert labels == {"mockllm/model", "mockllm/model (grader: mockllm/model)"}


def _run_all_subsets(data_dir: Path, log_dir: Path, split: str) -> None:
    model = get_model("mockllm/model", custom_outputs=_always_yes)
    tasks = [
        fn(variant="direct", data_dir=str(data_dir), split=split)
        for fn in (
            ethics_commonsense,
            ethics_deontology,
            ethics_justice,
            ethics_virtue,
            ethics_utilitarianism,
        )
    ]
    logs = eval(tasks, model=model, log_dir=str(log_dir), display="none")
    assert all(log.status == "success" for log in logs)


@pytest.mark.parametrize("split", ["test", "test_hard"])
def test_five_subset_average_for_test_and_hard_test(tmp_path: Path, split: str) -> None:
    """Defect 1: the Hard Test average was never built (the subset label had the split
    appended before the utilitarianism check, so its row was "accuracy")."""
    hard = tmp_path / "hard"
    shutil.copytree(FIXTURE, hard)
    # The fixture has Hard Test files for commonsense and utilitarianism only: the grouped
    # subsets reuse their test rows under the Hard Test file names.
    for name in ("deontology/deontology", "justice/justice", "virtue/virtue"):
        shutil.copy(hard / f"{name}_test.csv", hard / f"{name}_test_hard.csv")
    _run_all_subsets(hard, tmp_path / "logs", split)
    rows = results_from_logs(tmp_path / "logs")
    suffix = "" if split == "test" else f" ({split})"
    util = {r.metric for r in rows if r.subset == f"utilitarianism{suffix}"}
    assert "pairwise_accuracy" in util and "accuracy" not in util
    averages = [r for r in rows if r.metric == "headline"]
    assert {r.subset for r in averages} == {f"average{suffix}"}
    [average] = [r for r in averages if r.calibration == "none"]
    parts = [
        r
        for r in rows
        if r.calibration == "none"
        and r.metric in ("accuracy", "exact_match", "pairwise_accuracy")
        and (r.metric != "accuracy" or r.subset.startswith("commonsense"))
    ]
    assert len(parts) == 5
    assert average.value == pytest.approx(np.mean([p.value for p in parts]))


def test_logged_paper_metrics_equal_the_report_rows(tmp_path: Path) -> None:
    """The log's paper metric is what the report shows; recomputing from samples agrees."""
    model = get_model("mockllm/model", custom_outputs=_always_yes)
    eval(
        ethics_justice(variant="direct", data_dir=str(FIXTURE)),
        model=model,
        log_dir=str(tmp_path),
        display="none",
    )
    [run] = load_logs(tmp_path).runs
    logged = numbers_in_log(run.header, SCORER)
    assert logged is not None and logged["accuracy.none"] == pytest.approx(3 / 8)
    recomputed = choice_numbers(units_of(run), n_choices=2, group_size=4)
    assert logged.keys() == recomputed.keys()
    for key, value in recomputed.items():
        assert logged[key] == pytest.approx(value, nan_ok=True), key
    rows = {(r.metric, r.calibration): r for r in forced_choice_rows(run)}
    assert rows[("exact_match", "none")].ci_high == logged["exact_match.none.ci_high"]
    assert rows[("auc", "none")].value == logged["auc"]
