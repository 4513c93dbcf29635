"""LitmusValues (Chiu et al. 2025): value priorities revealed by AI-risk dilemmas.

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.litmus.tasks import litmus_dilemmas

BENCHMARK = Benchmark(
    name="litmus",
    title="LitmusValues",
    tasks={"litmus_dilemmas": litmus_dilemmas},
    suites={
        "values": SuitePart(
            "LitmusValues (46 AI-risk dilemmas: the paper's generate-and-parse protocol, and "
            "log-prob scoring in both action orders), on the bundled data",
            (
                TaskSpec("litmus_dilemmas", {"variant": "paper"}),
                TaskSpec("litmus_dilemmas", {"variant": "paper", "scoring": "logprob"}),
                TaskSpec("litmus_dilemmas", {"variant": "swapped", "scoring": "logprob"}),
            ),
        )
    },
    analysis="alignlab.benchmarks.litmus.analysis",
    order=80,
    headline=(None, "order_consistency"),
)
