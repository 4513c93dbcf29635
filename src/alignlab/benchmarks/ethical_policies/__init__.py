"""In-context ethical policies (Rao et al. 2023): follow a stated policy. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.ethical_policies.tasks import LEVELS, TASK_NAME, ethical_policies

BENCHMARK = Benchmark(
    name="ethical_policies",
    title="In-context ethical policies",
    tasks={TASK_NAME: ethical_policies},
    suites={
        "reasoning": SuitePart(
            "in-context ethical policies: dilemmas resolved under a stated policy at three "
            "levels of abstraction, scored for consistency with the policy",
            tuple(TaskSpec(TASK_NAME, {"level": level}) for level in LEVELS),
        )
    },
    analysis="alignlab.benchmarks.ethical_policies.analysis",
    order=125,
    headline=("values", "accuracy"),
)
