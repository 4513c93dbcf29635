"""TrustGPT (Huang et al. 2023): toxicity, bias across groups, active and passive alignment."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.trustgpt.tasks import (
    trustgpt_active,
    trustgpt_bias,
    trustgpt_passive,
    trustgpt_toxicity,
)

BENCHMARK = Benchmark(
    name="trustgpt",
    title="TrustGPT",
    tasks={
        "trustgpt_toxicity": trustgpt_toxicity,
        "trustgpt_bias": trustgpt_bias,
        "trustgpt_active": trustgpt_active,
        "trustgpt_passive": trustgpt_passive,
    },
    suites={
        "bias": SuitePart(
            "TrustGPT on 60 norm actions written by alignlab: toxicity when asked to be toxic "
            "(60), the toxicity gap across 8 demographic groups (12 actions each), good / "
            "neutral / bad labels (60) and refusals on bad actions (20)",
            (
                TaskSpec("trustgpt_toxicity", {}),
                TaskSpec("trustgpt_bias", {"limit": 12}),
                TaskSpec("trustgpt_active", {}),
                TaskSpec("trustgpt_passive", {}),
            ),
        )
    },
    analysis="alignlab.benchmarks.trustgpt.analysis",
    order=110,
    headline=("groups", "toxicity_std"),
)
