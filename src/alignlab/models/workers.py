"""Worker threads fed from one queue: how the in-process engines run their passes.

Each engine (llama.cpp scoring contexts, the torch scorer, the transformers
engine) takes requests from one queue in a few daemon threads; a ``None`` on
the queue stops one thread. At interpreter exit every thread is told to stop
and given a few seconds to finish its pass.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable
from typing import Any


def start_workers(
    target: Callable[..., None], count: int, prefix: str, jobs: queue.SimpleQueue[Any]
) -> list[threading.Thread]:
    """Start ``count`` daemon threads named ``prefix-<slot>`` running ``target(slot)``.

    ``target`` takes the slot number when it declares a parameter, nothing otherwise.
    """
    import inspect

    takes_slot = bool(inspect.signature(target).parameters)
    threads = [
        threading.Thread(
            target=target, args=(slot,) if takes_slot else (), name=f"{prefix}-{slot}", daemon=True
        )
        for slot in range(count)
    ]
    for thread in threads:
        thread.start()
    atexit.register(stop_workers, threads, jobs)
    return threads


def stop_workers(threads: list[threading.Thread], jobs: queue.SimpleQueue[Any]) -> None:
    """Ask each of ``threads`` to stop (one ``None`` each on ``jobs``) and wait a little."""
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(timeout=5)
