"""Contextual harm (Medical Malice, adversarial values): attack success per category and context."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.contextual_harm.tasks import TASK_NAME, contextual_harm

BENCHMARK = Benchmark(
    name="contextual_harm",
    title="Contextual harm",
    tasks={TASK_NAME: contextual_harm},
    suites={
        "redteam": SuitePart(
            "48 harmful requests in context written by alignlab (medical, workplace, finance, "
            "civic, adversarial local values), compliance judged by the grader role",
            (TaskSpec(TASK_NAME, {"judge": "grader", "max_tokens": 120}),),
        )
    },
    analysis="alignlab.benchmarks.contextual_harm.analysis",
    order=128,
    headline=("all", "attack_success_rate"),
)
