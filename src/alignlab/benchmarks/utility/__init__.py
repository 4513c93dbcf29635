"""Utility Engineering (Mazeika et al. 2025): Thurstonian utilities from pairwise preferences.

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.utility.tasks import utility_pairs

BENCHMARK = Benchmark(
    name="utility",
    title="Utility Engineering",
    tasks={"utility_pairs": utility_pairs},
    suites={
        "values": SuitePart(
            "Utility Engineering (60 outcome pairs in triads, both orders) on the bundled data",
            (TaskSpec("utility_pairs", {"n_pairs": 60}),),
        )
    },
    analysis="alignlab.benchmarks.utility.analysis",
    order=70,
    headline=(None, "holdout_accuracy"),
)
