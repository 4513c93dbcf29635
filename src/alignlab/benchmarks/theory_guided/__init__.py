"""Theory-guided moral reasoning (Zhou et al. 2024) over ETHICS: a suite, no tasks of its own.

The ``moral_theories`` suite runs the five ETHICS tasks without intervention
(the baseline) and under ``reason:theory=T`` for each moral theory T the
``reason`` intervention knows. The report's intervention comparison
(:mod:`alignlab.report.compare`) then shows, per ETHICS subset and theory,
the accuracy with and without theory-guided reasoning on the same items,
with a paired bootstrap CI of the difference and a permutation p-value. See
README.md.
"""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.interventions.reason import THEORIES

ETHICS_TASKS = (
    "ethics_commonsense",
    "ethics_justice",
    "ethics_deontology",
    "ethics_virtue",
    "ethics_utilitarianism",
)


def theory_specs() -> tuple[TaskSpec, ...]:
    """Every ETHICS task without intervention, then under each theory's reasoning."""
    baseline = tuple(TaskSpec(name) for name in ETHICS_TASKS)
    guided = tuple(
        TaskSpec(name, {"intervention": f"reason:theory={theory}"})
        for theory in THEORIES
        for name in ETHICS_TASKS
    )
    return baseline + guided


BENCHMARK = Benchmark(
    name="theory_guided",
    title="Theory-guided reasoning (ETHICS)",
    tasks={},
    suites={
        "moral_theories": SuitePart(
            "the five ETHICS subsets without reasoning and with reasoning through each of "
            "five moral theories (justice, deontology, virtue, utilitarianism, care)",
            theory_specs(),
        )
    },
    analysis=None,
    order=130,
)
