"""Run settings chosen by measurement with ``bench/bench_ethics.py`` (see ``bench/README.md``).

:func:`eval_set_defaults` gives the keyword arguments worth passing to Inspect's
``eval_set`` for speed or memory; explicit per-call arguments take precedence
(merge as ``{**eval_set_defaults(), **explicit}``). On 200 ETHICS-commonsense items
(2 cores, in-process, two runs each) an earlier round measured:

==========================================  ===========  ===========  =======
eval_set arguments                           wall s       CPU s        peak MB
==========================================  ===========  ===========  =======
Inspect defaults                             25.0, 24.8   46.2, 46.0   348
log_realtime=False                           25.7, 24.9   47.3, 46.0   345
ctl_server=False                             25.7, 24.7   47.7, 46.1   337
log_realtime=False, ctl_server=False         24.1, 24.2   44.6, 45.0   334
==========================================  ===========  ===========  =======

(An earlier round found nothing for ``score_display``, ``max_samples`` and
``log_buffer`` either.) Since then the governance work installed FastAPI, and
Inspect's control server (the ``inspect ctl`` channel) imports it at the start of
every eval: about 0.35 s of a 20 s command. alignlab therefore turns the control
server off unless ``INSPECT_EVAL_CTL_SERVER`` is set (Inspect's own switch; set it
to ``true`` to use ``inspect ctl`` with alignlab runs).

On 2026-12-04 a profile of 600 items (py-spy) showed what the table above did
not: on the event loop's thread, Inspect's sample buffer database (the live
event stream ``inspect view`` follows) took about a sixth of the time, and the
live metrics (recomputed over every finished sample, for a display alignlab's
one-line progress does not show) about a tenth. Off together, 600 items took
65.3 CPU s against 72.8 (other agents loaded the machine; CPU time, not wall,
is the comparable figure). So ``log_realtime`` is off unless
``ALIGNLAB_LIVE_EVENTS=1`` (finished samples still reach the log file, which
``inspect view`` reads as it grows), and ``score_display`` is off whenever
alignlab's progress line replaces Inspect's display.

What did matter is what gets imported: Inspect loads every installed package's
``inspect_ai`` entry point at the start of an eval, and inspect-evals' entry
point imports all of its evals. :func:`preload_entry_points` skips that
(peak RSS 540 -> 390 MB, about 2 s); keeping scipy out of the scoring path
saved another 60 MB. alignlab's own entry point is always loaded (it holds the
model provider); it also registers every alignlab task with Inspect, importing
the task modules a run imports anyway (about 0.5 s on its own). A run that
names an ``inspect_evals/<task>`` loads inspect-evals' entry point as well.
"""

from __future__ import annotations

import os
from typing import Any

CTL_SERVER_ENV = "INSPECT_EVAL_CTL_SERVER"
ZSTD_THREADS_ENV = "ALIGNLAB_LOG_ZSTD_THREADS"
LIVE_EVENTS_ENV = "ALIGNLAB_LIVE_EVENTS"


def eval_set_defaults(compact: bool = True) -> dict[str, Any]:
    """Keyword arguments alignlab passes to ``eval_set`` unless the caller gives its own.

    ``compact``: the run shows alignlab's one-line progress rather than Inspect's
    display, so the live metrics Inspect recomputes as samples finish (all
    samples each time, throttled to about a tenth of the event loop's time)
    are never shown and are not computed. Each switch stays with the user:
    ``INSPECT_EVAL_CTL_SERVER`` (Inspect's control server) and
    ``ALIGNLAB_LIVE_EVENTS=1`` (stream every event of running samples to
    ``inspect view``; finished samples reach the log as before either way).
    """
    kwargs: dict[str, Any] = {}
    if not os.environ.get(CTL_SERVER_ENV):
        kwargs["ctl_server"] = False
    if os.environ.get(LIVE_EVENTS_ENV, "").strip().lower() not in {"1", "true", "yes", "on"}:
        kwargs["log_realtime"] = False
    if compact:
        kwargs["score_display"] = False
    return kwargs


# Entry-point packages that register only tasks, solvers and scorers (no model
# providers, hooks or sandboxes). inspect-evals' registry imports every one of its
# evals (about 900 modules, pandas, datasets, openai): about 230 MB and 2 s.
TASK_ONLY_ENTRY_POINTS = frozenset({"inspect_evals"})


def preload_entry_points(needed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Load Inspect's ``inspect_ai`` entry points except the task-only ones not ``needed``.

    Inspect loads every installed package's entry point the first time it looks
    for hooks, at the start of each eval. Loading them here, less the task-only
    packages no requested task comes from, and then marking the set complete
    keeps model providers, hooks and sandboxes of other packages working while
    sparing the run inspect-evals' imports. Returns the names skipped. This
    uses Inspect's private entry-point state; if that changes, nothing is
    skipped and Inspect loads everything as before.
    """
    try:
        from importlib.metadata import entry_points

        from inspect_ai._util import entrypoints as state
    except ImportError:  # pragma: no cover - Inspect moved it
        return []
    if state._inspect_ai_eps_loaded_all or not hasattr(state, "_inspect_ai_eps_loaded"):
        return []
    skipped: list[str] = []
    for ep in entry_points(group="inspect_ai"):
        if ep.name in TASK_ONLY_ENTRY_POINTS and ep.name not in needed:
            skipped.append(ep.name)
            continue
        state.ensure_entry_points(ep.name)
    state._inspect_ai_eps_loaded_all = True
    return skipped


def load_entry_point(package: str) -> None:
    """Load ``package``'s ``inspect_ai`` entry point now, whatever was skipped before.

    Inspect's own lookup of ``<package>/<name>`` loads nothing once every entry
    point counts as loaded, and :func:`preload_entry_points` marks them so
    while skipping the task-only packages: a second run in the same process
    that names an ``inspect_evals/<task>`` must load inspect-evals itself.
    Loading twice only re-imports a module already imported.

    Raises:
        Exception: whatever importing the entry point raises.
    """
    from importlib.metadata import entry_points

    loaded: Any = None
    try:
        from inspect_ai._util import entrypoints as state

        loaded = getattr(state, "_inspect_ai_eps_loaded", None)
    except ImportError:  # pragma: no cover - Inspect moved it
        pass
    if isinstance(loaded, list) and package in loaded:
        return
    for ep in entry_points(group="inspect_ai"):
        if ep.name == package:
            ep.load()
    if isinstance(loaded, list):
        loaded.append(package)


def log_compression_threads(threads: int | None = None) -> int | None:
    """Compress each ``.eval`` log member on the calling thread (zstd ``threads=0``).

    Inspect writes every finished sample into the ``.eval`` zip as its own zstd
    member, on the event loop's thread, through a ``ZstdCompressor`` built with
    12 worker threads (``inspect_ai._util.zipfile._ZSTD_THREADS``). For a sample
    of about 17 KB that costs 0.89 ms of CPU against 0.064 ms compressed on the
    calling thread (same bytes out; a multi-frame member of over 200 MiB is the
    only case threads help), and on a loaded machine the event loop then waits
    for 12 freshly woken threads to be scheduled next to the scoring workers:
    py-spy put a quarter of the event loop's per-sample time in the zstd calls
    (600 ETHICS items, bench/README.md, issue 9). ``ALIGNLAB_LOG_ZSTD_THREADS``
    (or ``threads``) sets another count. Returns the count set, or ``None`` when
    this Inspect has no such setting (then nothing changes).
    """
    from alignlab.errors import AlignlabError

    try:
        from inspect_ai._util import zipfile as inspect_zip
    except ImportError:  # pragma: no cover - Inspect moved it
        return None
    if not hasattr(inspect_zip, "_ZSTD_THREADS"):
        return None
    if threads is None:
        raw = os.environ.get(ZSTD_THREADS_ENV, "").strip()
        try:
            threads = int(raw) if raw else 0
        except ValueError:
            raise AlignlabError(f"{ZSTD_THREADS_ENV}={raw!r} is not a whole number") from None
    inspect_zip._ZSTD_THREADS = threads
    return threads
