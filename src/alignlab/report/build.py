"""Build the HTML report for a log directory: every family that has logs there contributes.

The logs are read once (:func:`~alignlab.report.logs.load_logs`). Each
registered :class:`~alignlab.benchmarks.Benchmark` with an ``analysis`` module
gets its family's runs: the module's ``results(runs)`` gives its rows and
``sections(runs)`` and ``report_warnings(runs)``, where defined, its sections
and its warnings. Runs of tasks that belong to
no family (plain Inspect tasks, inspect_evals) get rows from the metrics
Inspect stored in their logs. A family whose analysis fails, and every log
that could not be read, becomes a warning in the page and on the terminal.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.benchmarks import Benchmark, benchmarks
from alignlab.report import degenerate, viewer
from alignlab.report.html import ExtraSection, Group, write_report
from alignlab.report.logs import Logs, RunLog, load_logs
from alignlab.report.results import MetricResult
from alignlab.report.sections import Link, Section, Table, Text

BUNDLED_NOTE = (
    "The bundled SmolLM2-135M-Instruct is near chance on moral judgments: these numbers "
    "demonstrate the pipeline, not a meaningful value profile. Point alignlab at a real model "
    "with --model (see `alignlab models`)."
)

# Inspect's dispersion metrics: shown beside a metric's value, not as rows of their own.
_DISPERSION = ("stderr", "std", "var")


@dataclass(frozen=True)
class BuiltReport:
    """The report written and the rows it shows."""

    path: Path
    results: list[MetricResult]
    warnings: list[str]
    degenerate: list[str] = field(default_factory=list)
    """One line per degenerate run (also at the top of the page)."""


def build_report(log_dir: str | Path, output: str | Path) -> BuiltReport:
    """Run every family's analysis over ``log_dir`` and write one HTML file to ``output``.

    An analysis that fails (say, on a log from an older version) is reported
    as a warning in the page and on the terminal; the others still appear.

    Raises:
        LogError: the directory is missing or holds no logs.
    """
    logs = load_logs(log_dir)
    warnings = list(logs.warnings)  # one line per unreadable log
    groups: list[tuple[tuple[int, str], Group]] = []
    for bench in benchmarks():
        if bench.analysis is None:
            continue
        runs = logs.of_family(bench.name, *bench.former_names)
        if runs:
            group = _family_group(bench, runs, logs.root)
            warnings.extend(group.warnings)
            groups.append(((bench.order, bench.name), group))
            for run in runs:
                run.release()  # a family's samples are its analysis's alone: free them
    groups.sort(key=lambda item: item[0])
    groups.extend(((1000, g.name), g) for g in _plain_groups(_unclaimed(logs), groups))
    comparison = _comparison_group(logs)
    if comparison is not None:
        warnings.extend(comparison.warnings)
        groups.append(((2000, comparison.name), comparison))
    ordered = [g for _, g in groups]
    results = [r for g in ordered for r in g.results]
    aspects = _aspects_group(results)  # trust aspects (EPT) over every row above
    if aspects is not None:
        warnings.extend(aspects.warnings)
        ordered.append(aspects)
    notes = []
    if any("smollm2" in r.model for r in results):
        notes.append(BUNDLED_NOTE)
    path = write_report((), output, notes=notes, groups=ordered, warnings=warnings)
    degenerate = [line for g in ordered for line in g.degenerate]
    return BuiltReport(path=path, results=results, warnings=warnings, degenerate=degenerate)


def _aspects_group(results: list[MetricResult]) -> Group | None:
    """The rows aggregated into the six trust aspects (:mod:`alignlab.report.aspects`)."""
    from alignlab.report import aspects

    try:
        made = list(aspects.sections(results))
    except Exception as ex:  # keep the rest of the report
        return Group(name="aspects", title="Trust aspects",
                     warnings=[f"trust aspects failed: {type(ex).__name__}: {ex}"])  # fmt: skip
    if not made:
        return None
    return Group(name="aspects", title="Trust aspects", sections=made)


def _family_group(bench: Benchmark, runs: list[RunLog], root: Path | None = None) -> Group:
    """One registered family's rows and sections, then links to its samples in ``inspect
    view`` (served from ``root``); a failure becomes the group's warning."""
    rows: list[MetricResult] = []
    sections: list[Section | ExtraSection] = []
    problems: list[str] = []
    try:
        module = importlib.import_module(str(bench.analysis))
        rows = list(module.results(runs))
        make_sections = getattr(module, "sections", None)
        if make_sections is not None:
            sections = list(make_sections(runs))
        make_warnings = getattr(module, "report_warnings", None)
        if make_warnings is not None:
            problems.extend(make_warnings(runs))
    except BrokenPipeError:
        raise  # the terminal's reader left: not a fault of the analysis, not for the page
    except Exception as ex:  # keep the rest of the report
        problems.append(f"{bench.name} analysis failed: {type(ex).__name__}: {ex}")
    degenerate, degenerate_logs = _degenerate_runs(runs)
    if root is not None:
        try:
            sections.append(sample_links(runs, root))
        except Exception as ex:  # an odd log: the links are a convenience
            problems.append(f"{bench.name}: no sample links ({type(ex).__name__}: {ex})")
    return Group(
        name=bench.name,
        title=bench.title,
        results=rows,
        sections=sections,
        warnings=problems,
        headline=bench.headline,
        degenerate=degenerate,
        degenerate_logs=degenerate_logs,
    )


SAMPLE_LINKS = 5
"""How many samples of each kind a run links to."""


def sample_links(runs: Sequence[RunLog], root: Path) -> Section:
    """A table per family: each run's log, its first samples and its first unreadable answers,
    as links that open them in ``inspect view --log-dir ROOT`` (:mod:`alignlab.report.viewer`).

    The samples were streamed once for the analysis; only their ids and
    answers were kept, so this reads nothing more.
    """

    rows = []
    for run in runs:
        keys = viewer.sample_keys(run)
        answers = run.view("degenerate.answers", degenerate.answer_of)
        unparsed = [k for k, a in zip(keys, answers, strict=True) if a is not None and a.unparsed]

        def links(chosen: Sequence[tuple[Any, int]], run: RunLog = run) -> tuple[Link, ...]:
            return tuple(
                Link(str(i) if e == 1 else f"{i} (epoch {e})",
                     viewer.sample_href(run.path, root, i, e))
                for i, e in chosen[:SAMPLE_LINKS]
            )  # fmt: skip

        variant = run.args.get("variant")
        rows.append(
            (
                run.task + (f" ({variant})" if variant else ""),
                run.model,
                Link(run.path.name, viewer.log_href(run.path, root), title=str(run.path)),
                len(keys),
                links(keys) or "–",
                links(unparsed) or "none",
            )
        )
    note = (
        f"Start the viewer with `alignlab view {root}` (or `inspect view --log-dir {root}`); "
        "the links assume it "
        f"listens on {viewer.view_url()} (set {viewer.VIEW_URL_ENV} for another address)."
    )
    table = Table.of(
        ("run", "model", "log", "samples", "first samples", "unreadable answers"),
        rows,
        numeric=(3,),
        css="sample-links",
    )
    return Section("Samples in inspect view", (Text(note, kind="muted"), table))


def _degenerate_runs(runs: Sequence[RunLog]) -> tuple[list[str], frozenset[str]]:
    """One line per degenerate run, and those runs' log files."""
    lines: list[str] = []
    files: set[str] = set()
    for run in runs:
        try:
            line = degenerate.check_run(run)
        except Exception:  # an odd log: the analysis has had its say on it
            continue
        if line is not None:
            lines.append(line)
            files.add(str(run.path))
    return lines, frozenset(files)


# --- tasks of no family ---------------------------------------------------------------------------


def plain_results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Rows for runs of tasks no family analyses: the metrics Inspect stored in each log.

    One row per (scorer, metric); a dispersion metric (``stderr``, ``std``,
    ``var``) goes beside its scorer's values in ``extra`` instead. There is
    no confidence interval or chance baseline: Inspect does not store them.
    """
    rows: list[MetricResult] = []
    for run in runs:
        results = run.header.results
        if results is None:
            continue
        n = int(results.completed_samples or results.total_samples or 0)
        dataset = getattr(run.header.eval.dataset, "name", None) or "unknown"
        for score in results.scores or []:
            metrics = dict(score.metrics or {})
            extra = {
                k: float(m.value)
                for k, m in metrics.items()
                if k in _DISPERSION and _is_number(m.value)
            }
            for name, metric in metrics.items():
                if name in _DISPERSION or not _is_number(metric.value):
                    continue
                rows.append(
                    MetricResult(
                        model=run.model,
                        task=run.task,
                        subset=str(score.name),
                        metric=str(name),
                        value=float(metric.value),
                        ci_low=math.nan,
                        ci_high=math.nan,
                        n=n,
                        unparsed_rate=math.nan,
                        variant=str(run.args.get("variant") or "default"),
                        scoring=str(score.scorer),
                        log_file=str(run.path),
                        extra=extra,
                        data=str(dataset),
                        intervention=str(run.metadata.get("intervention") or "none"),
                    )
                )
    return rows


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _unclaimed(logs: Logs) -> list[RunLog]:
    """Runs no registered family claims: no family in their metadata, or an unknown one."""
    known = {name for b in benchmarks() for name in (b.name, *b.former_names)}
    return [r for r in logs.runs if r.family is None or r.family not in known]


def _comparison_group(logs: Logs) -> Group | None:
    """Intervened runs beside their baselines (paired differences), when there are any."""
    from alignlab.report import compare

    if all(compare.intervention_of(r) == "none" for r in logs.runs):
        return None
    problems: list[str] = []
    made: list[Section | ExtraSection] = []
    try:
        made = list(compare.sections(list(logs.runs)))
    except Exception as ex:  # keep the rest of the report
        problems.append(f"intervention comparison failed: {type(ex).__name__}: {ex}")
    return Group(
        name="interventions",
        title="Interventions against their baselines",
        sections=made,
        warnings=problems,
    )


def _plain_groups(runs: list[RunLog], groups: list[tuple[tuple[int, str], Group]]) -> list[Group]:
    """One group per task of no family, leaving out logs an analysis already reported."""
    reported = {r.log_file for _, g in groups for r in g.results}
    rows = plain_results([run for run in runs if str(run.path) not in reported])
    tasks = list(dict.fromkeys(r.task for r in rows))
    return [Group(task, task, [r for r in rows if r.task == task]) for task in tasks]
