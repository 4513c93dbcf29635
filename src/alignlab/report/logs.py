"""Read a log directory once: pick the most complete log per run, load samples on demand.

Every analysis works on the :class:`RunLog` s this module returns, so the
rule for choosing among retried runs lives here and nowhere else:

* runs are the same when model (with bound roles), task and arguments match,
  ``calibration`` left out (it only picks the headline; both calibrations are
  reported from the same samples);
* among the same run's logs, a finished one beats an interrupted one, then
  the one with more samples, then the newest.

Headers are read first; a log's samples are read only when an analysis asks
for them, one at a time from the log's zip (:meth:`RunLog.iter_samples`),
without the fields no analysis reads (events, attachments). An
analysis that needs a small value per sample asks for a :meth:`RunLog.view`:
the samples are streamed once and only those values are kept, so a log of
10,000 samples never sits in memory whole (``bench/bench_scale.py big``).
"""

from __future__ import annotations

import functools
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.errors import LogError
from alignlab.report.results import model_label

# Task arguments that do not make a different run.
NON_IDENTITY_ARGS = frozenset({"calibration"})

# Sample fields no analysis reads: left out when samples are read (the bulk of a sample).
# The store stays: the WorldView council transcript and MTT's own judgments live there.
SKIPPED_FIELDS = frozenset({"events", "events_data", "attachments"})
_SAMPLES_DIR = "samples/"


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
    _views: dict[str, list[Any]] = field(default_factory=dict, repr=False)

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
        """Every sample of the log, all in memory (read once; prefer :meth:`view`)."""
        if self._samples is None:
            self._samples = list(self.iter_samples())
        return self._samples

    def iter_samples(self) -> Iterator[Any]:
        """The log's samples one at a time, in Inspect's order (epoch, then id).

        An ``.eval`` log is read member by member from its zip, so one sample
        is in memory at a time; the fields in :data:`SKIPPED_FIELDS` are left
        out. A ``.json`` log has no per-sample members and is read whole.
        """
        if self._samples is not None:
            yield from self._samples
            return
        if self.path.suffix != ".eval":
            from inspect_ai.log import read_eval_log

            yield from read_eval_log(str(self.path)).samples or []
            return
        from inspect_ai.log import EvalSample

        ids = {str(i): i for i in (self.header.eval.dataset.sample_ids or [])}
        # Inspect's deserialising context (inspect_ai._util.constants), so messages load as
        # read_eval_log loads them.
        context = {"deserializing": True, "message_cache": {}}
        with zipfile.ZipFile(self.path) as archive:
            for name in _sample_members(archive, ids):
                data = json.loads(archive.read(name))
                for key in SKIPPED_FIELDS:
                    data.pop(key, None)
                yield EvalSample.model_validate(data, context=context)

    def view(self, name: str, of_sample: Callable[[Any], Any]) -> list[Any]:
        """``of_sample(sample)`` for every sample, in order: the samples are streamed once
        and only these values kept (cached under ``name``, kept by :meth:`release`).

        The same pass also fills every view declared with :func:`register_view`
        that this run has not computed yet, so the analyses, the degenerate-run
        check and the run index share one read of the log (a declared view that
        fails on a sample is left out of the pass, and computed when asked for).
        """
        return self.views({name: of_sample}, extra=_REGISTERED)[name]

    def views(
        self,
        wanted: Mapping[str, Callable[[Any], Any]],
        extra: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> dict[str, list[Any]]:
        """Several :meth:`view` s computed in one pass over the samples (with ``extra``
        ones, when the pass is made anyway and they do not fail)."""
        missing = {k: f for k, f in wanted.items() if k not in self._views}
        if missing:
            also = {
                k: f for k, f in (extra or {}).items() if k not in self._views and k not in missing
            }
            made: dict[str, list[Any]] = {k: [] for k in (*missing, *also)}
            for sample in self.iter_samples():
                for key, of_sample in missing.items():
                    made[key].append(of_sample(sample))
                for key, of_sample in list(also.items()):
                    try:
                        made[key].append(of_sample(sample))
                    except Exception:  # not this log's kind of sample: not for this pass
                        del also[key], made[key]
            self._views.update(made)
        return {k: self._views[k] for k in wanted}

    def release(self) -> None:
        """Forget the samples read (they are read again if asked for); views are kept."""
        self._samples = None

    def scored(self, scorer: str) -> list[Any]:
        """The samples scored by ``scorer`` (all in memory: prefer :meth:`view`)."""
        return [s for s in self.samples if s.scores and scorer in s.scores]

    def sample_count(self) -> int:
        """How many samples the log holds (counted without reading them from an ``.eval``)."""
        if self._samples is not None or self.path.suffix != ".eval":
            return len(self.samples)
        with zipfile.ZipFile(self.path) as archive:
            return len(_sample_members(archive, {}))

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
        return self.sample_count()

    def rank(self) -> tuple[int, int, str]:
        return (int(self.status == "success"), self._sample_count(), str(self.header.eval.created))


_REGISTERED: dict[str, Callable[[Any], Any]] = {}


def register_view(name: str, of_sample: Callable[[Any], Any]) -> None:
    """Declare a view (see :meth:`RunLog.view`) computed in any pass over a run's samples."""
    _REGISTERED[name] = of_sample


def _sample_members(archive: zipfile.ZipFile, ids: Mapping[str, Any]) -> list[str]:
    """The sample members of an ``.eval`` zip (``samples/<id>_epoch_<n>.json``; a re-logged
    sample's last copy), in Inspect's order: epoch, then id (an integer id zero-filled)."""
    names = [
        n
        for n in dict.fromkeys(archive.namelist())
        if n.startswith(_SAMPLES_DIR) and n.endswith(".json")
    ]

    def order(name: str) -> tuple[int, str]:
        stem, _, epoch = name[len(_SAMPLES_DIR) : -len(".json")].rpartition("_epoch_")
        sample_id = ids.get(stem, stem)
        key = sample_id if isinstance(sample_id, str) else str(sample_id).zfill(20)
        return (int(epoch) if epoch.isdigit() else 0, key)

    return sorted(names, key=order)


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
