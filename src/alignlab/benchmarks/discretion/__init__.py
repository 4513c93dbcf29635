"""Alignment discretion: departures from stated principles, and position bias. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.discretion.tasks import TASK_NAME, discretion

BENCHMARK = Benchmark(
    name="discretion",
    title="Alignment discretion",
    tasks={TASK_NAME: discretion},
    suites={
        "reasoning": SuitePart(
            "alignment discretion: preference pairs judged in both orders against four "
            "principles (departures, principle supremacy, position bias)",
            (TaskSpec(TASK_NAME),),
        )
    },
    analysis="alignlab.benchmarks.discretion.analysis",
    order=128,
    headline=("self", "departure_rate"),
)
