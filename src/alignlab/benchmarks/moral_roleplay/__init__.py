"""Moral RolePlay ("Too Good to be Bad", 2025): role-play fidelity from paragons to villains.

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.moral_roleplay.tasks import moral_roleplay

BENCHMARK = Benchmark(
    name="moral_roleplay",
    title="Moral RolePlay",
    tasks={"moral_roleplay": moral_roleplay},
    suites={
        "dilemmas": SuitePart(
            "Moral RolePlay (16 characters from paragon to villain, fidelity rated by the "
            "grader role; bind one with --model-role grader=MODEL)",
            (TaskSpec("moral_roleplay", {"judge": "grader"}),),
        )
    },
    analysis="alignlab.benchmarks.moral_roleplay.analysis",
    order=122,
    headline=("all", "fidelity_slope"),
)
