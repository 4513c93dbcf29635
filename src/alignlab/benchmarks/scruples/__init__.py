"""Scruples (Lourie, Le Bras, Choi; AAAI 2021): who is in the wrong in an anecdote, which of
two actions is less ethical; label distributions scored against BEST. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.scruples.tasks import scruples_anecdotes, scruples_dilemmas

BENCHMARK = Benchmark(
    name="scruples",
    title="Scruples",
    tasks={"scruples_anecdotes": scruples_anecdotes, "scruples_dilemmas": scruples_dilemmas},
    suites={
        "judgment": SuitePart(
            "Moral judgment on the bundled data: Scruples anecdotes and dilemmas (label "
            "distributions against BEST)",
            (TaskSpec("scruples_anecdotes", {}), TaskSpec("scruples_dilemmas", {})),
        )
    },
    analysis="alignlab.benchmarks.scruples.analysis",
    order=20,
    headline=("anecdotes", "f1_macro"),
)
