"""The Greatest Good Benchmark (Marraffini et al. 2025): utilitarian judgments on a 1-7 scale.

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.greatest_good.tasks import greatest_good

BENCHMARK = Benchmark(
    name="greatest_good",
    title="Greatest Good",
    tasks={"greatest_good": greatest_good},
    suites={
        "dilemmas": SuitePart(
            "Greatest Good (Oxford Utilitarianism Scale statements in two phrasings and "
            "utilitarian dilemmas rated 1-7, with the scale's labels in both orders), on the "
            "bundled items",
            (
                TaskSpec("greatest_good", {"variant": "ascending"}),
                TaskSpec("greatest_good", {"variant": "descending"}),
            ),
        )
    },
    analysis="alignlab.benchmarks.greatest_good.analysis",
    order=121,
    headline=("ous", "instrumental_harm"),
)
