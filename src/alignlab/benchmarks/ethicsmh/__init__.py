"""EthicsMH: mental-health ethics decisions and their explanations. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.ethicsmh.tasks import TASK_NAME, ethicsmh

BENCHMARK = Benchmark(
    name="ethicsmh",
    title="EthicsMH",
    tasks={TASK_NAME: ethicsmh},
    suites={
        "reasoning": SuitePart(
            "EthicsMH: mental-health ethics scenarios, the decision against the expected "
            "option and the explanation against a rubric judged by the grader role",
            (TaskSpec(TASK_NAME, {"judge": "grader"}),),
        )
    },
    analysis="alignlab.benchmarks.ethicsmh.analysis",
    order=122,
    headline=("all", "accuracy"),
)
