"""Turn eval logs into run-index records: each run's metrics with CIs, data hash and versions.

The metrics are the report's: each family's analysis (``results(runs)``) on
the family's runs, and Inspect's stored metrics for tasks of no family, so
``alignlab runs`` shows the numbers the report shows. Samples are read once
per run (for the data hash and the analysis) and released after.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alignlab.errors import LogError
from alignlab.report.logs import RunLog, choose, load_logs, register_view
from alignlab.report.results import MetricResult
from alignlab.store.runs import MetricRecord, RunRecord, register

_VIEW = "index.items"
"""The per-sample view this module reads (:meth:`RunLog.view`)."""

UNKNOWN_VERSION = "unknown"


@dataclass(frozen=True)
class Indexed:
    """What an indexing pass stored, and one line per log it could not use."""

    count: int
    warnings: tuple[str, ...] = ()


def package_version() -> str:
    """The installed alignlab version."""
    try:
        return importlib.metadata.version("alignlab")
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


def dataset_hash(run: RunLog) -> str:
    """SHA-256 (hex, 16 characters) of the items the run saw: id, input and target, sorted by id.

    Two runs with the same hash were measured on the same items; a changed
    prompt wording, label or item changes it.
    """
    items = list(run.view(_VIEW, _item))
    items.sort(key=lambda item: item[0])
    blob = json.dumps(items, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _item(sample: Any) -> tuple[str, Any, Any]:
    content = sample.input
    if not isinstance(content, str):
        content = [getattr(m, "text", str(m)) for m in content]
    return (str(sample.id), content, sample.target)


def family_rows(runs: Sequence[RunLog]) -> tuple[dict[str, list[MetricResult]], list[str]]:
    """Each run's report rows, keyed by log path; the second item names analyses that failed."""
    from alignlab.benchmarks import benchmarks
    from alignlab.report.build import plain_results

    by_family: dict[str | None, list[RunLog]] = defaultdict(list)
    names = {name: b for b in benchmarks() for name in (b.name, *b.former_names)}
    for run in runs:
        by_family[run.family if run.family in names else None].append(run)
    rows: dict[str, list[MetricResult]] = defaultdict(list)
    warnings: list[str] = []
    for family, members in by_family.items():
        found: list[MetricResult] = []
        bench = names.get(family) if family is not None else None
        if bench is None or bench.analysis is None:
            found = plain_results(members)
        else:
            try:
                module = importlib.import_module(str(bench.analysis))
                found = list(module.results(members))
            except Exception as ex:  # an old log the analysis cannot read: index it bare
                warnings.append(
                    f"{family}: metrics not indexed ({type(ex).__name__}: {ex}); the log may "
                    "come from an older alignlab: re-run it to index its metrics"
                )
        for row in found:
            rows[row.log_file].append(row)
    return rows, warnings


def records(
    runs: Sequence[RunLog], version: str = UNKNOWN_VERSION
) -> tuple[list[RunRecord], list[str]]:
    """Run-index records of ``runs`` (finished ones only), metrics from the families' analyses,
    and one line per analysis that failed.

    ``version`` is the alignlab version that wrote the logs, when known.
    """
    finished = [r for r in runs if r.status == "success"]
    hashes = {str(r.path): dataset_hash(r) for r in finished}
    rows, warnings = family_rows(finished)
    out = []
    for run in finished:
        out.append(_record(run, rows.get(str(run.path), []), hashes[str(run.path)], version))
        run.release()
    return out, warnings


def _record(run: RunLog, rows: list[MetricResult], digest: str, version: str) -> RunRecord:
    from alignlab.report.compare import intervention_of

    header = run.header
    results = header.results
    created = header.eval.created
    when = datetime.fromisoformat(created) if isinstance(created, str) else created
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    packages = dict(getattr(header.eval, "packages", None) or {})
    recipe = run.metadata.get("recipe")
    return RunRecord(
        eval_id=str(header.eval.eval_id),
        model=run.model,
        task=run.task,
        family=run.family,
        args=run.args,
        intervention=intervention_of(run),
        recipe=None if recipe is None else str(recipe),
        data=run.data,
        dataset_hash=digest,
        package_version=str(packages.get("alignlab") or version),
        inspect_version=str(packages.get("inspect_ai") or UNKNOWN_VERSION),
        status=run.status,
        n_samples=int(getattr(results, "completed_samples", 0) or run.sample_count()),
        created=when,
        log_path=str(Path(run.path).resolve()),
        metrics=tuple(
            MetricRecord(
                subset=r.subset,
                metric=r.metric,
                value=r.value,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                n=r.n,
                chance=r.chance,
                unparsed_rate=r.unparsed_rate,
                variant=r.variant,
                calibration=r.calibration,
            )
            for r in rows
        ),
    )


def index_log_dir(
    log_dir: str | Path, url: str | None = None, version: str = UNKNOWN_VERSION
) -> Indexed:
    """Index every finished run under ``log_dir`` (the most complete log of each run).

    Raises:
        LogError: the directory is missing or holds no logs.
        StoreError: the index cannot be written.
    """
    logs = load_logs(log_dir)
    made, problems = records(logs.runs, version)
    warnings = list(logs.warnings) + problems + _bare(made)
    return Indexed(register(made, url), tuple(warnings))


def index_log_files(files: Iterable[str | Path], url: str | None = None) -> Indexed:
    """Index the runs of the given log files (the runner calls this after an eval set)."""
    from inspect_ai.log import read_eval_log

    paths = [Path(str(name).removeprefix("file://")) for name in files]
    # A log its folder reports on is taken from that folder's cached reading (load_logs), so
    # the report written next shares this pass over its samples (2,000 ETHICS items: about
    # 2.5 s of reading, once instead of twice).
    shared: dict[Path, RunLog] = {}
    for folder in {path.parent for path in paths}:
        try:
            runs = load_logs(folder).runs
        except LogError:
            continue
        shared.update({run.path.resolve(): run for run in runs})
    candidates = []
    warnings = []
    for path in paths:
        known = shared.get(path.resolve())
        if known is not None:
            candidates.append(known)
            continue
        try:
            candidates.append(RunLog(path, read_eval_log(str(path), header_only=True)))
        except Exception as ex:
            warnings.append(f"not indexed: unreadable log {path}: {type(ex).__name__}: {ex}")
    made, problems = records(choose(candidates), package_version())
    return Indexed(register(made, url), tuple(warnings + problems))


def _bare(made: Sequence[RunRecord]) -> list[str]:
    """One line per finished run indexed without any metric (an old log, or a failed analysis)."""
    bare = [r for r in made if not r.metrics]
    return [f"{r.task} ({r.model}, {r.log_path}): indexed without metrics" for r in bare]


register_view(_VIEW, _item)
