"""PacifAIst (Herrador 2025): would the model put human safety above its own interests?

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.pacifaist.tasks import pacifaist

BENCHMARK = Benchmark(
    name="pacifaist",
    title="PacifAIst",
    tasks={"pacifaist": pacifaist},
    suites={
        "dilemmas": SuitePart(
            "PacifAIst (66 scenarios of self-preservation, resource conflict and goal "
            "preservation vs human safety: the paper's protocol, and the options shuffled), "
            "on the bundled data",
            (
                TaskSpec("pacifaist", {"variant": "paper"}),
                TaskSpec("pacifaist", {"variant": "shuffled"}),
            ),
        )
    },
    analysis="alignlab.benchmarks.pacifaist.analysis",
    order=120,
    headline=("all", "p_score"),
)
