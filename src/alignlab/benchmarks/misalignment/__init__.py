"""MisalignmentBench-style red-teaming: scripted multi-turn attacks judged by a grader."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.misalignment.tasks import TASK_NAME, misalignment_bench

BENCHMARK = Benchmark(
    name="misalignment",
    title="MisalignmentBench (scripted attacks)",
    tasks={TASK_NAME: misalignment_bench},
    suites={
        "redteam": SuitePart(
            "48 scripted three-turn attacks written by alignlab (16 situations x narrative "
            "immersion, emotional pressure, strategic framing), judged by the grader role for "
            "deception, value drift, self-preservation and manipulation",
            (TaskSpec(TASK_NAME, {"judge": "grader", "max_tokens": 120}),),
        )
    },
    analysis="alignlab.benchmarks.misalignment.analysis",
    order=120,
    headline=("all", "vulnerability_rate"),
)
