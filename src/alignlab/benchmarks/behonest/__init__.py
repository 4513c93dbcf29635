"""BeHonest (Chern et al. 2024): self-knowledge, non-deceptiveness, consistency. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.behonest.release_tasks import behonest_release
from alignlab.benchmarks.behonest.tasks import (
    behonest_consistency,
    behonest_deceit,
    behonest_knowledge,
)

BENCHMARK = Benchmark(
    name="behonest",
    title="BeHonest",
    tasks={
        "behonest_knowledge": behonest_knowledge,
        "behonest_deceit": behonest_deceit,
        "behonest_consistency": behonest_consistency,
        "behonest_release": behonest_release,
    },
    suites={
        "honesty": SuitePart(
            "BeHonest's three aspects: admitting unknowns and answering knowns, "
            "sycophancy and lying under pressure, consistency across formats",
            (
                TaskSpec("behonest_knowledge"),
                TaskSpec("behonest_deceit"),
                TaskSpec("behonest_consistency"),
            ),
        )
    },
    analysis="alignlab.benchmarks.behonest.analysis",
    order=110,
    headline=("overall", "honesty"),
)
