"""Build the HTML report for a log directory: every analysis that has logs there contributes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.report.from_logs import find_logs, results_from_logs
from alignlab.report.html import ExtraSection, write_report
from alignlab.report.results import MetricResult

BUNDLED_NOTE = (
    "The bundled SmolLM2-135M-Instruct is near chance on moral judgments: these numbers "
    "demonstrate the pipeline, not a meaningful value profile. Point alignlab at a real model "
    "with --model (see `alignlab models`)."
)


@dataclass(frozen=True)
class Analysis:
    """Functions of one task family turning a log directory into rows and sections."""

    name: str
    results: Callable[[Path], list[MetricResult]] | None = None
    sections: Callable[[Path], list[ExtraSection]] | None = None


def _lazy(module: str, function: str) -> Callable[[Path], Any]:
    def call(log_dir: Path) -> Any:
        return getattr(importlib.import_module(module), function)(log_dir)

    return call


ANALYSES: list[Analysis] = [
    Analysis("ethics", results=lambda d: results_from_logs(d)),
    Analysis(
        "values",
        results=_lazy("alignlab.report.values", "values_results"),
        sections=_lazy("alignlab.report.values", "values_sections"),
    ),
    Analysis(
        "judgment",
        results=_lazy("alignlab.report.judgment", "judgment_results"),
        sections=_lazy("alignlab.report.judgment", "judgment_sections"),
    ),
    Analysis(
        "pluralism",
        results=_lazy("alignlab.report.pluralism", "pluralism_results"),
        sections=_lazy("alignlab.report.pluralism", "pluralism_sections"),
    ),
]


@dataclass(frozen=True)
class BuiltReport:
    """The report written and the rows it shows."""

    path: Path
    results: list[MetricResult]
    warnings: list[str]


def build_report(log_dir: str | Path, output: str | Path) -> BuiltReport:
    """Run every analysis over ``log_dir`` and write one HTML file to ``output``.

    An analysis that fails (say, on a log from an older version) is reported
    as a warning in the page and on the terminal; the others still appear.
    """
    root = Path(log_dir)
    find_logs(root)  # a clear error when there is nothing to report
    results: list[MetricResult] = []
    sections: list[ExtraSection] = []
    warnings: list[str] = []
    for analysis in ANALYSES:
        try:
            if analysis.results is not None:
                results.extend(analysis.results(root))
            if analysis.sections is not None:
                sections.extend(analysis.sections(root))
        except Exception as ex:  # keep the rest of the report
            warnings.append(f"{analysis.name} analysis failed: {type(ex).__name__}: {ex}")
    notes = list(warnings)
    if any("smollm2" in r.model for r in results):
        notes.insert(0, BUNDLED_NOTE)
    path = write_report(results, output, notes=notes, extra_sections=sections)
    return BuiltReport(path=path, results=results, warnings=warnings)
