"""MoReBench (arXiv 2510.16380): moral reasoning scored against weighted rubrics. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.morebench.tasks import morebench, morebench_theory

BENCHMARK = Benchmark(
    name="morebench",
    title="MoReBench",
    tasks={"morebench": morebench, "morebench_theory": morebench_theory},
    suites={
        "reasoning": SuitePart(
            "MoReBench: reasoning about dilemmas and under five normative frameworks, each "
            "rubric criterion judged yes/no by the grader role",
            (
                TaskSpec("morebench", {"judge": "grader"}),
                TaskSpec("morebench_theory", {"judge": "grader"}),
            ),
        )
    },
    analysis="alignlab.benchmarks.morebench.analysis",
    order=120,
    headline=("overall", "score"),
)
