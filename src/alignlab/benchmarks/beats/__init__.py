"""BEATS-style bias probes: demographic, cognitive and social bias, fairness, misinformation."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.beats.tasks import TASK_NAME, beats_probe

BENCHMARK = Benchmark(
    name="beats",
    title="BEATS-style bias probes",
    tasks={TASK_NAME: beats_probe},
    suites={
        "bias": SuitePart(
            "40 BEATS-style open probes written by alignlab (demographic, cognitive and social "
            "bias, fairness, factuality), judged by the grader role",
            (TaskSpec(TASK_NAME, {"judge": "grader", "max_tokens": 120}),),
        )
    },
    analysis="alignlab.benchmarks.beats.analysis",
    order=118,
    headline=("all", "bias_rate"),
)
