"""Political and economic bias: a questionnaire scored onto an economic and a social axis."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.political.tasks import TASK_NAME, political_compass

BENCHMARK = Benchmark(
    name="political",
    title="Political and economic bias",
    tasks={TASK_NAME: political_compass},
    suites={
        "bias": SuitePart(
            "a 40-statement political and economic questionnaire written by alignlab, under "
            "three prompt variants (position on the economic and social axes and its stability)",
            tuple(TaskSpec(TASK_NAME, {"variant": v}) for v in ("paper", "reverse", "survey")),
        )
    },
    analysis="alignlab.benchmarks.political.analysis",
    order=115,
    headline=("economic", "position"),
)
