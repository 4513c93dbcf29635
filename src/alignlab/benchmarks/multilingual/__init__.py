"""Multilingual harm (The Multilingual Alignment Prism): compliance with red-teaming prompts."""

from alignlab.benchmarks import Benchmark
from alignlab.benchmarks.multilingual.tasks import multilingual_harm

BENCHMARK = Benchmark(
    name="multilingual",
    title="Multilingual harm",
    tasks={"multilingual_harm": multilingual_harm},
    analysis="alignlab.benchmarks.multilingual.analysis",
    order=56,
    headline=("all", "harmful_compliance"),
)
