"""The moral_theories suite: a baseline and five theories per ETHICS subset, compared pairwise."""

from __future__ import annotations

from pathlib import Path

from inspect_ai.model import ModelOutput, ModelUsage

from alignlab.benchmarks import build_task, resolve_suite
from alignlab.benchmarks.theory_guided import ETHICS_TASKS
from alignlab.interventions.reason import THEORIES
from alignlab.report import compare
from alignlab.report.logs import load_logs
from mock_outputs import probability_output, text_output
from mock_runs import by_last_message, eval_mock

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)


def test_suite_runs_each_subset_without_and_under_every_theory() -> None:
    suite = resolve_suite("moral_theories")
    assert len(suite.tasks) == len(ETHICS_TASKS) * (1 + len(THEORIES))
    interventions = {spec.args.get("intervention", "none") for spec in suite.tasks}
    assert interventions == {"none", *(f"reason:theory={t}" for t in THEORIES)}
    for name in ETHICS_TASKS:
        assert sum(spec.name == name for spec in suite.tasks) == 1 + len(THEORIES)


def test_report_compares_a_theory_with_the_baseline(tmp_path: Path) -> None:
    specs = [
        s
        for s in resolve_suite("moral_theories").tasks
        if s.name == "ethics_commonsense"
        and s.args.get("intervention", "none") in ("none", "reason:theory=care")
    ]
    tasks = [build_task(s, {"limit": 4}) for s in specs]

    def reply(prompt: str) -> ModelOutput:
        if "Before answering" in prompt:
            return text_output("Caring for the people involved matters.", USAGE)
        if "Now give your final answer" in prompt:
            return probability_output({"yes": 0.2, "no": 0.8}, USAGE)
        return probability_output({"yes": 0.8, "no": 0.2}, USAGE)

    eval_mock(tasks, by_last_message(reply), tmp_path)
    result = compare.compare_interventions(load_logs(tmp_path).runs)
    [row] = result.rows
    assert row.intervention == "reason:theory=care"
    assert row.n == 4
    # The baseline always answers yes, the guided run always no: every item flips, so
    # the two accuracies add up to 1.
    assert row.intervened_score + row.baseline_score == 1.0
    assert row.difference.low <= row.difference.mean_difference <= row.difference.high
