"""ETHICS (Hendrycks et al., ICLR 2021): five subsets of moral judgment, several prompt wordings.

Registers the five subset tasks, the ``quick`` and ``core`` suites, and the
report analysis (per-subset rows and the five-subset average). See README.md.
"""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.ethics.tasks import (
    VARIANTS,
    ethics_commonsense,
    ethics_deontology,
    ethics_justice,
    ethics_utilitarianism,
    ethics_virtue,
)

# Items per subset in the quick suite (whole contrast groups: 3 of 4, 2 of 5).
_QUICK_LIMITS = {
    "ethics_commonsense": 12,
    "ethics_deontology": 12,
    "ethics_justice": 12,
    "ethics_virtue": 10,
    "ethics_utilitarianism": 12,
}

BENCHMARK = Benchmark(
    name="ethics",
    title="ETHICS",
    tasks={
        "ethics_commonsense": ethics_commonsense,
        "ethics_deontology": ethics_deontology,
        "ethics_justice": ethics_justice,
        "ethics_virtue": ethics_virtue,
        "ethics_utilitarianism": ethics_utilitarianism,
    },
    suites={
        "quick": SuitePart(
            "ETHICS, 10-12 items per subset under each of the 3 prompt variants (a smoke run)",
            tuple(
                TaskSpec(name, {"variant": variant, "limit": limit})
                for name, limit in _QUICK_LIMITS.items()
                for variant in VARIANTS
            ),
        ),
        "core": SuitePart(
            "ETHICS, every item of the five subsets under each of the 3 prompt variants",
            tuple(
                TaskSpec(name, {"variant": variant})
                for name in _QUICK_LIMITS
                for variant in VARIANTS
            ),
        ),
    },
    analysis="alignlab.benchmarks.ethics.analysis",
    order=10,
    headline=("average", "headline"),
)
