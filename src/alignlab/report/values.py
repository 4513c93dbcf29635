"""Transitional: the value families' rows for the old ``report/build.py`` list of analyses.

The analyses live in :mod:`alignlab.benchmarks.utility.analysis` and
:mod:`alignlab.benchmarks.litmus.analysis` and return structured sections,
which the old page cannot render; delete this module once ``build.py``
calls each family's ``Benchmark.analysis``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alignlab.benchmarks.litmus import analysis as litmus_analysis
from alignlab.benchmarks.utility import analysis as utility_analysis
from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult


def values_results(log_dir: str | Path) -> list[MetricResult]:
    """The utility and litmus rows of the runs in ``log_dir``."""
    runs = load_logs(log_dir).runs
    return utility_analysis.results(runs) + litmus_analysis.results(runs)


def values_sections(log_dir: str | Path) -> list[Any]:
    """None: the families' sections are :class:`~alignlab.report.sections.Section` s now."""
    return []
