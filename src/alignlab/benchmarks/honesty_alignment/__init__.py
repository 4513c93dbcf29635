"""Alignment for Honesty (Yang et al. 2023): prudence against a reference model. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.honesty_alignment.tasks import TASK_NAME, honesty_alignment

BENCHMARK = Benchmark(
    name="honesty_alignment",
    title="Alignment for Honesty",
    tasks={TASK_NAME: honesty_alignment},
    suites={
        "honesty": SuitePart(
            "Alignment for Honesty's prudence and over-conservativeness against a reference "
            "model (the reference role)",
            (TaskSpec(TASK_NAME),),
        )
    },
    analysis="alignlab.benchmarks.honesty_alignment.analysis",
    order=111,
    headline=("all", "honesty"),
)
