"""Inspect ``eval_set`` defaults, as measured with ``bench/bench_ethics.py`` (``bench/README.md``).

``EVAL_SET_DEFAULTS`` holds the keyword arguments worth passing to Inspect's
``eval_set`` for speed or memory; explicit per-call arguments take precedence
(merge as ``{**EVAL_SET_DEFAULTS, **explicit}``). It is empty on purpose: on
200 ETHICS-commonsense items (2 cores, median of 3), none of the candidates
changed wall time, CPU time or peak RSS beyond run-to-run noise (about 0.3 s):

==========================================  ========  =======  =======
eval_set arguments                           wall s    CPU s    peak MB
==========================================  ========  =======  =======
Inspect defaults                             27.3      47.5     528
score_display=False, log_realtime=False      27.3      47.5     528
  ... and max_samples=16 (default 64)        27.3      47.7     527
  ... and log_buffer=50 (default 10)         27.3      47.8     528
==========================================  ========  =======  =======

The time goes to llama.cpp (about 40 of the 47.5 CPU seconds) and to imports
(about 4 s, see the README); Inspect's per-sample work is about 17 ms a sample.
``log_realtime=False`` would also turn off live viewing in ``inspect view``, so
it is not worth it. ``score_display=False`` bounds Inspect's running-metric
recomputation, which is throttled to at most ~10% of one core; consider it for
very long runs with ``--display none``, where nothing shows those metrics.
"""

from __future__ import annotations

from typing import Any

EVAL_SET_DEFAULTS: dict[str, Any] = {}

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
