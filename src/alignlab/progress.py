"""One compact live progress view for a suite: tasks done, samples/s, ETA.

Without ``--display``, ``alignlab eval`` runs Inspect with ``display="none"``
and shows this instead of one Inspect panel per task (``--display full``
keeps Inspect's panels). The counts come from Inspect's lifecycle hooks
(:class:`inspect_ai.hooks.Hooks`): ``on_task_start`` (how many samples the
task will run), ``on_sample_end`` and ``on_task_end``. The view is a pure
function of a :class:`Progress` (:func:`render`), so it is tested on fake
events; :class:`LiveProgress` redraws it on one terminal line (on a
terminal) or prints a line per finished task (elsewhere, say a CI log).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from inspect_ai.hooks import Hooks, SampleEnd, TaskEnd, TaskStart, hooks

# Fewest seconds between two redraws of the live line.
REDRAW_EVERY = 0.5


@dataclass
class Progress:
    """What a suite has done so far (times from :func:`time.monotonic`)."""

    tasks_total: int
    started: float
    tasks_done: int = 0
    tasks_failed: int = 0
    samples_total: int = 0
    samples_done: int = 0
    current: list[str] = field(default_factory=list)

    def task_started(self, name: str, samples: int) -> None:
        self.samples_total += samples
        self.current.append(name)

    def sample_done(self) -> None:
        self.samples_done += 1

    def task_done(self, name: str, ok: bool = True) -> None:
        self.tasks_done += 1
        self.tasks_failed += not ok
        if name in self.current:
            self.current.remove(name)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def render(progress: Progress, now: float) -> str:
    """The progress line: tasks done, samples done, samples/s, elapsed and ETA.

    The ETA is the samples still to run at the rate so far; it is shown once
    a sample has finished (``ETA –`` before). Samples of tasks not started
    yet are not known, so the ETA covers the tasks started so far until the
    last one starts (said with ``+``).
    """
    elapsed = max(now - progress.started, 1e-9)
    rate = progress.samples_done / elapsed
    parts = [f"tasks {progress.tasks_done}/{progress.tasks_total}"]
    if progress.tasks_failed:
        parts[0] += f" ({progress.tasks_failed} failed)"
    parts.append(f"samples {progress.samples_done}/{progress.samples_total}")
    parts.append(f"{rate:.2f} samples/s" if progress.samples_done else "– samples/s")
    left = max(progress.samples_total - progress.samples_done, 0)
    started_all = progress.tasks_done + len(progress.current) >= progress.tasks_total
    if progress.samples_done and rate > 0:
        eta = _duration(left / rate) + ("" if started_all else "+")
    else:
        eta = "–"
    parts.append(f"elapsed {_duration(elapsed)}")
    parts.append(f"ETA {eta}")
    if progress.current:
        parts.append("running " + ", ".join(progress.current))
    return " · ".join(parts)


class LiveProgress:
    """Draws a :class:`Progress` on ``stream`` as Inspect's hooks report events."""

    def __init__(self, tasks_total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.progress = Progress(tasks_total=tasks_total, started=time.monotonic())
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn = 0.0
        self._width = 0

    def task_started(self, name: str, samples: int) -> None:
        self.progress.task_started(name, samples)
        if self.live:
            self.draw(force=True)

    def sample_done(self) -> None:
        self.progress.sample_done()
        self.draw()

    def task_done(self, name: str, ok: bool) -> None:
        self.progress.task_done(name, ok)
        if not self.live:  # a log, not a terminal: one line per finished task
            self.stream.write(f"{name} {'done' if ok else 'FAILED'}: ")
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < REDRAW_EVERY:
            return
        self._drawn = now
        line = render(self.progress, now)
        if self.live:
            pad = max(self._width - len(line), 0)
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
        elif force:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live and self._width:
            self.stream.write("\r" + render(self.progress, time.monotonic()) + "\n")
            self.stream.flush()


_ACTIVE: LiveProgress | None = None


@contextmanager
def live_progress(tasks_total: int, stream: TextIO | None = None) -> Iterator[LiveProgress]:
    """Show the compact view while the block runs (Inspect's hooks feed it)."""
    global _ACTIVE
    view = LiveProgress(tasks_total, stream)
    _ACTIVE = view
    try:
        yield view
    finally:
        _ACTIVE = None
        view.close()


def _samples_of(spec: Any) -> int:
    """How many samples a task will run: its dataset, cut by ``limit``, times its epochs."""
    n = int(getattr(spec.dataset, "samples", 0) or 0)
    limit = getattr(spec.config, "limit", None)
    if isinstance(limit, int):
        n = min(n, limit)
    elif isinstance(limit, tuple | list) and len(limit) == 2:
        n = min(n, int(limit[1]) - int(limit[0]))
    return n * int(getattr(spec.config, "epochs", None) or 1)


@hooks(name="alignlab_progress", description="alignlab's compact suite progress view")
class ProgressHooks(Hooks):
    """Feeds the active :class:`LiveProgress` (does nothing when none is active)."""

    def enabled(self) -> bool:
        return _ACTIVE is not None

    async def on_task_start(self, data: TaskStart) -> None:
        if _ACTIVE is not None:
            _ACTIVE.task_started(str(data.spec.task), _samples_of(data.spec))

    async def on_sample_end(self, data: SampleEnd) -> None:
        if _ACTIVE is not None:
            _ACTIVE.sample_done()

    async def on_task_end(self, data: TaskEnd) -> None:
        if _ACTIVE is not None:
            _ACTIVE.task_done(str(data.log.eval.task), data.log.status == "success")
