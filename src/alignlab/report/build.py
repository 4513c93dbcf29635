"""Build the HTML report for a log directory: every family that has logs there contributes.

The logs are read once (:func:`~alignlab.report.logs.load_logs`). Each
registered :class:`~alignlab.benchmarks.Benchmark` with an ``analysis`` module
gets its family's runs: the module's ``results(runs)`` gives its rows and
``sections(runs)``, where defined, its sections. Runs of tasks that belong to
no family (plain Inspect tasks, inspect_evals) get rows from the metrics
Inspect stored in their logs. A family whose analysis fails, and every log
that could not be read, becomes a warning in the page and on the terminal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import math
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.benchmarks import Benchmark, benchmarks
from alignlab.report.html import ExtraSection, Group, write_report
from alignlab.report.logs import Logs, RunLog, find_logs, load_logs
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section

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


def build_report(log_dir: str | Path, output: str | Path) -> BuiltReport:
    """Run every family's analysis over ``log_dir`` and write one HTML file to ``output``.

    An analysis that fails (say, on a log from an older version) is reported
    as a warning in the page and on the terminal; the others still appear.

    Raises:
        LogError: the directory is missing or holds no logs.
    """
    logs = load_logs(log_dir)
    warnings = _log_warnings(logs)
    groups: list[tuple[tuple[int, str], Group]] = []
    registered = {b.name for b in benchmarks() if b.analysis}
    for bench in benchmarks():
        if bench.analysis is None:
            continue
        runs = logs.of_family(bench.name)
        if runs:
            group = _family_group(bench, runs)
            warnings.extend(group.warnings)
            groups.append(((bench.order, bench.name), group))
    for order, group in _legacy_groups(logs, registered, warnings):  # TRANSITIONAL
        groups.append((order, group))
    groups.sort(key=lambda item: item[0])
    groups.extend(((1000, g.name), g) for g in _plain_groups(logs.without_family(), groups))
    ordered = [g for _, g in groups]
    results = [r for g in ordered for r in g.results]
    notes = []
    if any("smollm2" in r.model for r in results):
        notes.append(BUNDLED_NOTE)
    path = write_report((), output, notes=notes, groups=ordered, warnings=warnings)
    return BuiltReport(path=path, results=results, warnings=warnings)


def _log_warnings(logs: Logs) -> list[str]:
    """The loader's warnings, led by a count of the unreadable logs."""
    warnings = list(logs.warnings)
    unreadable = sum(w.startswith("skipped unreadable log") for w in warnings)
    if unreadable == 1:
        warnings.insert(0, "1 log could not be read and was skipped")
    return warnings


def _family_group(bench: Benchmark, runs: list[RunLog]) -> Group:
    """One registered family's rows and sections; a failure becomes the group's warning."""
    rows: list[MetricResult] = []
    sections: list[Section | ExtraSection] = []
    problems: list[str] = []
    try:
        module = importlib.import_module(str(bench.analysis))
        rows = list(module.results(runs))
        make_sections = getattr(module, "sections", None)
        if make_sections is not None:
            sections = list(make_sections(runs))
    except Exception as ex:  # keep the rest of the report
        problems.append(f"{bench.name} analysis failed: {type(ex).__name__}: {ex}")
    return Group(
        name=bench.name,
        title=bench.title,
        results=rows,
        sections=sections,
        warnings=problems,
        headline=bench.headline,
    )


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


def _plain_groups(runs: list[RunLog], groups: list[tuple[tuple[int, str], Group]]) -> list[Group]:
    """One group per task of no family, leaving out logs a (legacy) analysis already reported."""
    reported = {r.log_file for _, g in groups for r in g.results}
    rows = plain_results([run for run in runs if str(run.path) not in reported])
    tasks = list(dict.fromkeys(r.task for r in rows))
    return [Group(task, task, [r for r in rows if r.task == task]) for task in tasks]


# --- TRANSITIONAL: delete once every family registers its analysis -------------------------------
# Families not registered yet are reported by today's report/{from_logs,values,judgment,
# pluralism}.py, which read the log directory themselves. Their rows are sorted into
# families by the log they come from; their sections by title.


@dataclass(frozen=True)
class _Legacy:
    name: str
    families: tuple[str, ...]
    results: tuple[str, str]
    sections: tuple[str, str] | None = None
    includes_plain: bool = False
    """Also reports logs of no family (``from_logs`` reads any forced-choice log)."""
    reads_plain: bool = False
    """Picks its logs by scorer, so logs of no family may hold some of its runs."""


_LEGACY = (
    _Legacy("ethics", ("ethics",), ("from_logs", "results_from_logs"), includes_plain=True),
    _Legacy(
        "values",
        ("utility", "litmus"),
        ("values", "values_results"),
        ("values", "values_sections"),
        reads_plain=True,
    ),
    _Legacy(
        "judgment",
        ("scruples", "delphi", "ealm"),
        ("judgment", "judgment_results"),
        ("judgment", "judgment_sections"),
    ),
    _Legacy(
        "pluralism",
        ("pluralism", "mtt"),
        ("pluralism", "pluralism_results"),
        ("pluralism", "pluralism_sections"),
    ),
)
# family -> (order, title, headline)
_LEGACY_FAMILIES: dict[str, tuple[int, str, tuple[str | None, str] | None]] = {
    "ethics": (10, "ETHICS", (None, "headline")),
    "scruples": (20, "Scruples", ("anecdotes", "accuracy")),
    "delphi": (30, "Norm Bank", ("yesno", "accuracy")),
    "ealm": (40, "EALM", ("qa-ethics", "accuracy")),
    "utility": (50, "Utility Engineering", (None, "holdout_accuracy")),
    "litmus": (60, "LitmusValues", (None, "order_consistency")),
    "pluralism": (70, "Pluralism", (None, "closest_group_distance")),
    "mtt": (80, "Moral Turing Test", ("judgment", "agreement")),
}
# section title prefix -> family
_LEGACY_SECTION_FAMILY = {
    "Scruples": "scruples",
    "Utility Engineering": "utility",
    "LitmusValues": "litmus",
    "Distributional pluralism": "pluralism",
    "Steerable pluralism": "pluralism",
    "Overton pluralism": "pluralism",
    "Jury-pluralistic": "pluralism",
    "Moral Turing Test": "mtt",
}


def _legacy_groups(
    logs: Logs, registered: set[str], warnings: list[str]
) -> list[tuple[tuple[int, str], Group]]:
    rows: dict[str, list[MetricResult]] = {}
    sections: dict[str, list[Section | ExtraSection]] = {}
    by_path = {str(run.path): run for run in logs.runs}
    by_task = {run.task: run.family for run in logs.runs}
    families = _families_of_files(logs)
    for legacy in _LEGACY:
        wanted = [f for f in legacy.families if f not in registered]
        has_plain = legacy.includes_plain and bool(logs.without_family())
        if not wanted or not (logs.of_family(*wanted) or has_plain):
            continue  # nothing of its own to report: do not read the logs again
        with_plain = legacy.includes_plain or legacy.reads_plain
        mine = [f for f, fam in families.items() if fam in wanted or (with_plain and fam is None)]
        try:
            with _only(logs.root, mine) as (root, original):
                found = [_restore_paths(r, original) for r in _legacy_call(legacy.results)(root)]
                made = _legacy_call(legacy.sections)(root) if legacy.sections else []
        except Exception as ex:  # keep the rest of the report
            warnings.append(f"{legacy.name} analysis failed: {type(ex).__name__}: {ex}")
            continue
        for row in found:
            family = _legacy_family(row, legacy, by_path, by_task)
            if family is None or family in wanted:
                key = family or ""
                rows.setdefault(key, []).append(_legacy_fields(row, by_path, logs, family))
        for section in made:
            family = next(
                (f for p, f in _LEGACY_SECTION_FAMILY.items() if section.title.startswith(p)),
                legacy.families[0],
            )
            if family in wanted:
                sections.setdefault(family, []).append(section)
    groups = []
    for family in dict.fromkeys([*rows, *sections]):
        if not family:
            continue  # logs of no family: reported with the plain tasks below
        order, title, headline = _LEGACY_FAMILIES.get(family, (100, family, None))
        group = Group(
            family, title, rows.get(family, []), sections.get(family, []), headline=headline
        )
        groups.append(((order, family), group))
    for task in dict.fromkeys(r.task for r in rows.get("", [])):
        plain = [r for r in rows[""] if r.task == task]
        groups.append(((1000, task), Group(task, task, plain)))
    return groups


def _families_of_files(logs: Logs) -> dict[Path, str | None]:
    """Every readable log file with its family (headers of runs not chosen are read here)."""
    from inspect_ai.log import read_eval_log

    chosen = {run.path: run.family for run in logs.runs}
    found: dict[Path, str | None] = {}
    for path in find_logs(logs.root):
        if path in chosen:
            found[path] = chosen[path]
            continue
        try:
            header = read_eval_log(str(path), header_only=True)
        except Exception:  # unreadable: already among the warnings
            continue
        family = (header.eval.metadata or {}).get("family")
        found[path] = None if family is None else str(family)
    return found


@contextlib.contextmanager
def _only(root: Path, files: list[Path]) -> Iterator[tuple[Path, dict[str, str]]]:
    """A directory laid out like ``root`` holding links to ``files`` alone.

    The legacy analyses read every log of the directory they are given in
    full; given only their own families' logs they read no others. Yields
    the directory and a map from each link's path to the original path.
    """
    with tempfile.TemporaryDirectory(prefix="alignlab-report-") as tmp:
        original: dict[str, str] = {}
        for path in files:
            link = Path(tmp) / path.relative_to(root)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
            original[str(link)] = str(path)
        yield Path(tmp), original


def _restore_paths(row: MetricResult, original: dict[str, str]) -> MetricResult:
    if not row.log_file:
        return row
    names = ", ".join(original.get(name, name) for name in row.log_file.split(", "))
    return dataclasses.replace(row, log_file=names)


def _legacy_call(target: tuple[str, str]) -> Callable[[Path], Any]:
    module = importlib.import_module(f"alignlab.report.{target[0]}")
    function: Callable[[Path], Any] = getattr(module, target[1])
    return function


def _legacy_family(
    row: MetricResult, legacy: _Legacy, by_path: dict[str, RunLog], by_task: dict[str, str | None]
) -> str | None:
    run = by_path.get(row.log_file)
    if run is not None:
        return run.family
    if row.task in legacy.families:
        return row.task
    if row.task in by_task:
        return by_task[row.task]
    return legacy.families[0]


def _legacy_fields(
    row: MetricResult, by_path: dict[str, RunLog], logs: Logs, family: str | None
) -> MetricResult:
    """``data`` and ``intervention`` from the row's log (the legacy analyses leave them out)."""
    run = by_path.get(row.log_file)
    runs = (
        [run]
        if run is not None
        else [r for r in logs.of_family(family or "") if r.model == row.model]
    )
    labels = {_data_label(r) for r in runs}
    data = labels.pop() if len(labels) == 1 else row.data
    interventions = {str(r.metadata.get("intervention") or "none") for r in runs}
    intervention = interventions.pop() if len(interventions) == 1 else row.intervention
    if (data, intervention) == (row.data, row.intervention):
        return row
    return dataclasses.replace(row, data=data, intervention=intervention)


def _data_label(run: RunLog) -> str:
    data = str(run.metadata.get("data") or "bundled")
    return "bundled" if data == "bundled" else Path(data).name or data
