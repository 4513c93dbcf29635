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
