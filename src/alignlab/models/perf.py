"""Performance defaults measured with ``bench/bench_ethics.py`` (see ``bench/README.md``).

``EVAL_SET_DEFAULTS`` are keyword arguments for Inspect's ``eval_set`` that cut
Inspect's own per-sample work without changing what a run computes or what its
log holds for reports and resumption:

* ``score_display=False``: Inspect recomputes the running metrics at most once
  a second while a task runs, deep-copying every score so far each time
  (quadratic in the samples; about 1.4 s of a 200-item ETHICS run on 2 cores).
  Nothing shows them with ``--display none``, and the final metrics are
  computed at the end either way.
* ``log_realtime=False``: no per-event writes to the realtime sample buffer
  (an SQLite database that only ``inspect view`` reads while a run is live).
  Finished samples are still flushed to the ``.eval`` log as they complete
  (``log_buffer``), which is what ``eval_set`` resumes from.

Per-call arguments (``max_samples`` etc.) take precedence: merge as
``{**EVAL_SET_DEFAULTS, **explicit_kwargs}``.
"""

from __future__ import annotations

from typing import Any

EVAL_SET_DEFAULTS: dict[str, Any] = {
    "score_display": False,
    "log_realtime": False,
}
