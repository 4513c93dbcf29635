"""The bundled model on a few items of every ETHICS subset, then a report built from the logs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from alignlab.benchmarks.ethics.analysis import results as ethics_results
from alignlab.benchmarks.ethics.data import SUBSETS
from alignlab.report.html import write_report
from alignlab.report.logs import load_logs
from alignlab.runner import run_eval
from cli_runs import alignlab

LIMITS = {"commonsense": 4, "deontology": 4, "justice": 4, "virtue": 5, "utilitarianism": 4}


def test_bundled_model_runs_every_subset_and_reports(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    for subset, limit in LIMITS.items():
        outcome = run_eval(tasks=[f"ethics_{subset}"], log_dir=log_dir, limit=limit, display="none")
        assert outcome.success
    results = ethics_results(load_logs(log_dir).of_family("ethics"))
    by_subset = {r.subset for r in results}
    assert by_subset == {*SUBSETS, "average"}  # the paper's headline: mean over the five
    [average] = [r for r in results if r.subset == "average" and r.calibration == "none"]
    headline = [
        r.value
        for r in results
        if r.calibration == "none"
        and (r.subset, r.metric)
        in {
            ("commonsense", "accuracy"),
            ("justice", "exact_match"),
            ("deontology", "exact_match"),
            ("virtue", "exact_match"),
            ("utilitarianism", "pairwise_accuracy"),
        }
    ]
    assert len(headline) == 5 and average.value == pytest.approx(sum(headline) / 5)
    for r in results:
        assert r.model == "alignlab/smollm2"
        assert r.scoring == "logprob"  # llama.cpp returns log-probabilities
        assert r.n > 0
        if not math.isnan(r.value):
            assert 0.0 <= r.ci_low <= r.value <= r.ci_high <= 1.0
    accuracy = {r.subset: r for r in results if r.metric in ("accuracy", "pairwise_accuracy")}
    assert accuracy["virtue"].n == 5 and accuracy["commonsense"].n == 4
    exact = {r.subset for r in results if r.metric == "exact_match"}
    assert exact == {"deontology", "justice", "virtue"}
    assert {r.calibration for r in results} == {"none", "contextual"}
    html = write_report(results, tmp_path / "report.html").read_text()
    for subset in SUBSETS:
        assert subset in html


def test_cli_eval_prints_report_path(tmp_path: Path) -> None:
    log_dir = tmp_path / "cli-logs"
    proc = alignlab(
        "eval",
        "--task",
        "ethics_justice",
        "--limit",
        "4",
        "--variant",
        "direct",
        "--log-dir",
        str(log_dir),
        "--display",
        "none",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Report:" in proc.stdout
    report = log_dir / "report.html"
    assert report.is_file() and "justice" in report.read_text()
