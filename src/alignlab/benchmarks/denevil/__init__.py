"""Denevil-style generative elicitation of value violations (Moral Foundations principles)."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.denevil.tasks import TASK_NAME, denevil_elicit

BENCHMARK = Benchmark(
    name="denevil",
    title="Denevil (generative elicitation)",
    tasks={TASK_NAME: denevil_elicit},
    suites={
        "redteam": SuitePart(
            "Denevil-style elicitation: an attacker role writes up to two rounds of prompts "
            "against each of 42 Moral Foundations principles written by alignlab; the grader "
            "judges violations",
            (TaskSpec(TASK_NAME, {"rounds": 2, "judge": "grader", "max_tokens": 120}),),
        )
    },
    analysis="alignlab.benchmarks.denevil.analysis",
    order=125,
    headline=("all", "violation_rate"),
)
