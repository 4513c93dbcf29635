"""Read a log directory once: pick the most complete log per run, load samples on demand.

Every analysis works on the :class:`RunLog` s this module returns, so the
rule for choosing among retried runs lives here and nowhere else:

* runs are the same when model (with bound roles), task and arguments match,
  ``calibration`` left out (it only picks the headline; both calibrations are
  reported from the same samples);
* among the same run's logs, a finished one beats an interrupted one, then
  the one with more samples, then the newest.

Headers are read first; a log's samples are read only when an analysis asks
for them (or to count an interrupted log's samples), and at most once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.errors import LogError
from alignlab.report.results import model_label

# Task arguments that do not make a different run.
NON_IDENTITY_ARGS = frozenset({"calibration"})


def find_logs(log_dir: str | Path) -> list[Path]:
    """Every ``.eval`` / ``.json`` Inspect log under ``log_dir``, sorted by path.

    Raises:
        LogError: the directory is missing or holds no logs.
    """
    root = Path(log_dir)
    if not root.exists():
        raise LogError(
            f"Log directory not found: {root}. Run `alignlab eval --log-dir {root}` first."
        )
    files = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".eval", ".json") and p.name not in ("logs.json", "eval-set.json")
    )
    if not files:
        raise LogError(f"No Inspect logs (*.eval) in {root}. Run `alignlab eval --log-dir {root}`.")
    return files


def data_name(data: str) -> str:
    """How rows name the data a run read: ``bundled``, or the public folder's or file's name."""
    return "bundled" if data == "bundled" else Path(data).name or data


def identity_args(args: dict[str, Any]) -> dict[str, Any]:
    """The task arguments that make two logs different runs."""
    return {k: v for k, v in args.items() if k not in NON_IDENTITY_ARGS}


@dataclass(eq=False)
class RunLog:
    """One chosen log: its header fields, and its samples read on first use."""

    path: Path
    header: Any = field(repr=False)
    _samples: list[Any] | None = field(default=None, repr=False)

    @property
    def model(self) -> str:
        """The model the run is reported under (bound roles included)."""
        return model_label(self.header)

    @property
    def task(self) -> str:
        return str(self.header.eval.task)

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.header.eval.task_args or {})

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.header.eval.metadata or {})

    @property
    def family(self) -> str | None:
        family = self.metadata.get("family")
        return None if family is None else str(family)

    @property
    def data(self) -> str:
        """``bundled``, or the name of the public data folder or file the run read (``hub``)."""
        return data_name(str(self.metadata.get("data") or "bundled"))

    @property
    def status(self) -> str:
        return str(self.header.status)

    @property
    def samples(self) -> list[Any]:
        """Every sample of the log (read from disk once)."""
        if self._samples is None:
            from inspect_ai.log import read_eval_log

            self._samples = list(read_eval_log(str(self.path)).samples or [])
        return self._samples

    def release(self) -> None:
        """Forget the samples read (they are read again if asked for)."""
        self._samples = None

    def scored(self, scorer: str) -> list[Any]:
        """The samples scored by ``scorer``."""
        return [s for s in self.samples if s.scores and scorer in s.scores]

    def metrics(self, scorer: str) -> dict[str, float]:
        """The Inspect metrics the log holds for ``scorer`` (from the header; empty if none)."""
        for score in getattr(self.header.results, "scores", None) or []:
            if score.name == scorer:
                return {name: float(m.value) for name, m in score.metrics.items()}
        return {}

    @property
    def log(self) -> Any:
        """The header, for code written against ``EvalLog`` (``log.eval...``)."""
        return self.header

    def key(self) -> tuple[str, str, str]:
        return (self.model, self.task, repr(sorted(identity_args(self.args).items())))

    def _sample_count(self) -> int:
        results = self.header.results
        if self.status == "success" and results is not None:
            return int(results.completed_samples or results.total_samples or 0)
        return len(self.samples)

    def rank(self) -> tuple[int, int, str]:
        return (int(self.status == "success"), self._sample_count(), str(self.header.eval.created))


@dataclass(frozen=True)
class Logs:
    """The chosen runs of a log directory and what could not be read."""

    root: Path
    runs: tuple[RunLog, ...]
    warnings: tuple[str, ...] = ()

    def of_family(self, *names: str) -> list[RunLog]:
        """The runs whose tasks belong to one of the families ``names``."""
        return [r for r in self.runs if r.family in names]

    def without_family(self) -> list[RunLog]:
        """Runs of tasks that are not alignlab's (inspect_evals tasks, plain Inspect tasks)."""
        return [r for r in self.runs if r.family is None]


def choose(candidates: Iterable[RunLog]) -> list[RunLog]:
    """The most complete log per run (see the module docstring), sorted by path."""
    chosen: dict[tuple[str, str, str], RunLog] = {}
    for run in candidates:
        key = run.key()
        if key not in chosen or run.rank() > chosen[key].rank():
            chosen[key] = run
    return sorted(chosen.values(), key=lambda r: str(r.path))


def load_logs(log_dir: str | Path) -> Logs:
    """Read every log header under ``log_dir`` once and choose the runs to report.

    A log that cannot be read (a truncated file from a killed run) is skipped
    and named in :attr:`Logs.warnings`, one line per file. Results are cached per set of files
    (path, size, modification time), so several analyses share one read.

    Raises:
        LogError: the directory is missing, holds no logs, or none of them can be read.
    """
    files = find_logs(log_dir)
    signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _load_cached(Path(log_dir), signature)


@functools.lru_cache(maxsize=4)
def _load_cached(root: Path, signature: Sequence[tuple[str, int, int]]) -> Logs:
    from inspect_ai.log import read_eval_log

    candidates: list[RunLog] = []
    warnings: list[str] = []
    for name, _, _ in signature:
        try:
            header = read_eval_log(name, header_only=True)
        except Exception as ex:  # a truncated file from a killed run
            first = (str(ex).strip().splitlines() or [""])[0]
            warnings.append(f"skipped unreadable log {name} ({type(ex).__name__}: {first})")
            continue
        candidates.append(RunLog(Path(name), header))
    if not candidates:
        raise LogError(
            f"No readable Inspect log in {root}; nothing was written. "
            + "; ".join(w.removeprefix("skipped unreadable log ") for w in warnings)
        )
    return Logs(root, tuple(choose(candidates)), tuple(warnings))
