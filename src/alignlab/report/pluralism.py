"""Transitional adapter: the pluralism and Moral Turing Test analyses for ``report/build.py``.

The analyses live in :mod:`alignlab.benchmarks.pluralism.analysis` and
:mod:`alignlab.benchmarks.mtt.analysis`; this module only serves the
log-directory interface of the current ``build.py`` and goes when the report
calls ``Benchmark.analysis`` modules itself.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from alignlab.benchmarks.mtt import analysis as mtt_analysis
from alignlab.benchmarks.pluralism import analysis as pluralism_analysis
from alignlab.report.format import num
from alignlab.report.html import ExtraSection
from alignlab.report.logs import load_logs
from alignlab.report.results import MetricResult

_ANALYSES = (pluralism_analysis, mtt_analysis)


def pluralism_results(
    log_dir: str | Path, *, n_resamples: int = 2000, seed: int = 0
) -> list[MetricResult]:
    """Rows of every pluralism and Moral Turing Test run in ``log_dir``."""
    runs = load_logs(log_dir).runs
    return [
        row
        for analysis in _ANALYSES
        for row in analysis.results(runs, n_resamples=n_resamples, seed=seed)
    ]


def pluralism_sections(log_dir: str | Path) -> list[ExtraSection]:
    """The analyses' sections rendered by the shared section partial."""
    runs = load_logs(log_dir).runs
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alignlab.report", "templates"), autoescape=True
    )
    env.filters.setdefault("cell", lambda v: v if isinstance(v, str) else num(v))
    template = env.get_template("partials/section.html.j2")
    out = []
    for analysis in _ANALYSES:
        for section in analysis.sections(runs):
            html = template.render(section=section)
            # The page template adds its own <section> and title around extra sections.
            inner = html.split("</h2>", 1)[1].rsplit("</section>", 1)[0]
            out.append(ExtraSection(section.title, inner))
    return out
