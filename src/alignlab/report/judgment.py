"""Transitional: rows and sections of the moral-judgment families (Scruples, Norm Bank, EALM)
for callers that still pass a log directory.

The analyses live in ``alignlab.benchmarks.{scruples,normbank,ealm}.analysis``
and take runs from :func:`alignlab.report.logs.load_logs`. Logs written before
the Norm Bank became the ``normbank`` package carry ``family="delphi"``; they
are reported here by the Norm Bank analysis too. This module goes once
``report/build.py`` calls ``Benchmark.analysis`` modules (and maps old family
names).
"""

from __future__ import annotations

from pathlib import Path

from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section

OLD_FAMILY_NAMES = {"delphi": "normbank"}
"""Family names older logs carry -> the family package that reports them."""


def judgment_results(log_dir: str | Path, **_: object) -> list[MetricResult]:
    """Rows of every Scruples, Norm Bank and EALM run in ``log_dir``."""
    from alignlab.benchmarks.ealm import analysis as ealm
    from alignlab.benchmarks.normbank import analysis as normbank
    from alignlab.benchmarks.scruples import analysis as scruples

    logs = load_logs(log_dir)
    rows = [
        *scruples.results(logs.of_family("scruples")),
        *normbank.results(logs.of_family("normbank", "delphi")),
        *ealm.results(logs.of_family("ealm")),
    ]
    return sorted(rows, key=lambda r: (r.model, r.task, r.subset, r.variant))


def judgment_sections(log_dir: str | Path) -> list[Section]:
    """None: the Scruples section comes from ``alignlab.benchmarks.scruples.analysis.sections``
    (structured sections, which the old page cannot render)."""
    return []
