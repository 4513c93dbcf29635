"""Delphi's Commonsense Norm Bank (Jiang et al. 2021/2025): free-form, yes/no and relative
moral judgments, as one task in three formats. See README.md.

The family is ``normbank`` (the package, and the ``family`` of the task's eval
metadata); the task keeps its name ``delphi_norms`` and its report rows keep
``task="delphi"``. Logs written before the move carry ``family="delphi"``.
"""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.normbank.tasks import TASK_NAME, delphi_norms

BENCHMARK = Benchmark(
    name="normbank",
    title="Commonsense Norm Bank (Delphi)",
    tasks={TASK_NAME: delphi_norms},
    suites={
        "judgment": SuitePart(
            "the Norm Bank's free-form, yes/no and relative formats",
            tuple(TaskSpec(TASK_NAME, {"format": f}) for f in ("freeform", "yesno", "relative")),
        )
    },
    analysis="alignlab.benchmarks.normbank.analysis",
    order=30,
    headline=("freeform", "accuracy"),
    # Logs written before the Norm Bank became this package say family="delphi".
    former_names=("delphi",),
)
