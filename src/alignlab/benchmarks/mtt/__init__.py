"""The Moral Turing Test (after Aharoni et al., Sci. Rep. 2024): verdicts and detecting AI text."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.mtt.tasks import mtt_detect, mtt_judgment

BENCHMARK = Benchmark(
    name="mtt",
    title="Moral Turing Test",
    tasks={"mtt_judgment": mtt_judgment, "mtt_detect": mtt_detect},
    suites={
        "pluralism": SuitePart(
            "verdicts with explanations (16 scenarios) and AI-text detection (40 scenarios, "
            "both orders)",
            (
                TaskSpec("mtt_judgment", {"limit": 16, "max_tokens": 80}),
                TaskSpec("mtt_detect", {}),
            ),
        )
    },
    analysis="alignlab.benchmarks.mtt.analysis",
    order=60,
    headline=(None, "detect_accuracy"),
)
