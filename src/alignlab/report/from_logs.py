"""Transitional: the ETHICS rows of a log directory, for callers not yet on the family analyses.

The rows come from :mod:`alignlab.benchmarks.ethics.analysis` over
:func:`alignlab.report.logs.load_logs`; the shared forced-choice rows are in
:mod:`alignlab.report.forced_choice`. This module goes once ``report/build.py``
calls ``Benchmark.analysis`` modules.
"""

from __future__ import annotations

from pathlib import Path

from alignlab.report.logs import find_logs, load_logs
from alignlab.report.results import MetricResult

__all__ = ["find_logs", "results_from_logs"]


def results_from_logs(log_dir: str | Path, **_: object) -> list[MetricResult]:
    """Report rows of every ETHICS run in ``log_dir`` (bootstrap settings: the analysis's)."""
    from alignlab.benchmarks.ethics.analysis import results

    return results(load_logs(log_dir).of_family("ethics"))
