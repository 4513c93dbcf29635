"""The torch scorer in a process of its own, so that Inspect's thread never holds it up.

Why (bench/README.md, issue 9): in one process, the scorer's worker threads
and Inspect's event loop share one interpreter lock. Inspect's thread holds it
for about a third of a long run (its per-sample Python work), and each of the
thousands of small calls a worker makes in a pass (a product, a norm, a slice)
must take the lock back first, so on 2,000 ETHICS items the two workers were
busy for 74 s of wall but on a core for only 52 s of it: the machine's two
cores ran at 1.71 on average. A scorer process has a lock of its own; the only
work left on Inspect's side is a few bytes a request through a pipe.

:class:`ScorerProcess` offers what the provider uses of
:class:`~alignlab.models.torch_engine.TorchScorer` (``submit_logprobs``,
``next_token_logprobs``, ``max_tokens``). It starts the process and returns at
once (torch's import and the weights, about 1.5 s, load while Inspect sets up);
requests sent before the scorer is ready wait in the pipe. The file is checked
first, in this process (its header alone, milliseconds), so a file the scorer
cannot read fails here with one line rather than at every sample. The scores
are the in-process scorer's, bit for bit (the child runs that very engine;
tested).

The pipe carries length-prefixed pickles of plain tuples between two processes
of the same program: requests ``(id, tokens, top_k, extra, prefix)`` in lists,
answers ``(id, rows)`` or ``(id, None, message)``. The child speaks on a
duplicate of its standard output and sends its own standard output to standard
error, so stray prints from libraries cannot corrupt the stream. It stops when
its input closes (this process exiting, or :meth:`ScorerProcess.close`), after
answering what it was sent.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import itertools
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

from alignlab.errors import ModelError
from alignlab.models.torch_engine import (
    DEFAULT_MAX_TOKENS,
    PromptScorer,
    TorchScorer,
    check_scorer_file,
)

_HEADER = struct.Struct("<I")
_CACHE_CAPACITIES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")
# Seconds the child gets to finish its answers once its input is closed.
_CLOSE_WAIT_S = 10.0
# Lines of the child's standard error kept for the message when it stops.
_ERR_LINES = 20


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or ``None`` at the end of the stream."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)  # noqa: S301 - our own child process, over its own pipe


class ScorerProcess(PromptScorer):
    """A :class:`~alignlab.models.torch_engine.TorchScorer` run in a child process.

    Args:
        path: the BF16 GGUF file (checked here before the child starts).
        workers: the child's scoring threads (default: one a core).
        max_tokens: longest prompt accepted (the child's scorer uses the same).
    """

    def __init__(
        self, path: Path, *, workers: int | None = None, max_tokens: int = DEFAULT_MAX_TOKENS
    ) -> None:
        self.path = Path(path)
        check_scorer_file(self.path)
        self.workers = workers
        self.max_tokens = int(max_tokens)
        self._ids = itertools.count()
        self._pending: dict[int, Future[list[tuple[int, float]]]] = {}
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._stopped: str | None = None  # why no more requests are taken
        self._closed = False
        self._errors: collections.deque[str] = collections.deque(maxlen=_ERR_LINES)
        env = dict(os.environ)
        # the child imports alignlab from where this process did, installed or not
        source = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        # oneDNN's primitive cache and ideep's (1,024 entries each by default) keep the
        # products' state for every token count a pass has had; a pass uses one count
        # (seven weight shapes), so 16 entries lose no reuse within it and keep the
        # scorer's growth over 2,000 ETHICS items at about 160 MB instead of 250
        for name in _CACHE_CAPACITIES:
            env.setdefault(name, "16")
        command = [sys.executable, "-m", __name__, str(self.path), str(self.max_tokens)]
        command += [str(workers)] if workers else []
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._threads = [
            threading.Thread(target=target, name=f"alignlab-scorer-{name}", daemon=True)
            for name, target in (
                ("send", self._write),
                ("receive", self._read),
                ("stderr", self._drain),
            )
        ]
        for thread in self._threads:
            thread.start()
        atexit.register(self.close)

    # -- requests ------------------------------------------------------------

    def submit_logprobs(
        self, tokens: list[int], top_k: int, extra: list[int] | None = None, prefix: int = 0
    ) -> Future[list[tuple[int, float]]]:
        """Queue one prompt, as :meth:`TorchScorer.submit_logprobs` does."""
        self._check_prompt(tokens)
        future: Future[list[tuple[int, float]]] = Future()
        with self._lock:
            if self._stopped is not None:
                raise ModelError(self._stopped)
            key = next(self._ids)
            self._pending[key] = future
        self._outbox.put((key, list(tokens), int(top_k), list(extra or []), int(prefix)))
        return future

    def close(self, wait: bool = True) -> None:
        """Stop taking requests and let the child answer the ones sent and exit.

        ``wait``: wait for the child to exit (at most 10 s, then it is killed);
        without it the child winds down while this process goes on (it is
        waited for at this process's exit).
        """
        with self._lock:
            first, self._closed = not self._closed, True
            if self._stopped is None:
                self._stopped = f"the torch scorer for {self.path.name} was closed"
        if first:
            self._outbox.put(None)
        if not wait:
            return
        try:
            self._proc.wait(timeout=_CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for thread in self._threads:
            thread.join(timeout=1)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (a child that died is stopped, not closed)."""
        return self._closed

    @property
    def stopped(self) -> str | None:
        """Why the scorer takes no more requests, or ``None`` while it does."""
        return self._stopped

    # -- the pipe ------------------------------------------------------------

    def _write(self) -> None:
        """Send queued requests in batches; close the child's input on ``None``."""
        stream = self._proc.stdin
        assert stream is not None
        try:
            while True:
                item = self._outbox.get()
                batch = []
                while item is not None:
                    batch.append(item)
                    try:
                        item = self._outbox.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    _send(stream, batch)
                if item is None:
                    break
        except (OSError, ValueError):
            pass  # the child is gone; the reader reports it
        finally:
            with contextlib.suppress(OSError):
                stream.close()

    def _read(self) -> None:
        """Hand each answer to its future; when the child stops, fail what is left."""
        stream = self._proc.stdout
        assert stream is not None
        while True:
            try:
                message = _receive(stream)
            except (OSError, EOFError, pickle.UnpicklingError):
                message = None
            if message is None:
                break
            key, rows = message[0], message[1]
            with self._lock:
                future = self._pending.pop(key, None)
            if future is None:
                continue
            if rows is None:
                future.set_exception(ModelError(message[2]))
            else:
                future.set_result(rows)
        code = self._proc.wait()
        for thread in self._threads[2:]:
            thread.join(timeout=2)  # the child's last words
        last = next((line for line in reversed(self._errors) if line.strip()), "")
        reason = f"the torch scorer's process stopped (exit code {code})" + (
            f": {last.strip()}" if last else ""
        )
        with self._lock:
            if self._stopped is None:
                self._stopped = reason
            left, self._pending = self._pending, {}
        for future in left.values():
            future.set_exception(ModelError(reason))

    def _drain(self) -> None:
        """Keep the child's last lines of standard error (torch's warnings, a traceback)."""
        stream = self._proc.stderr
        assert stream is not None
        for raw in stream:
            self._errors.append(raw.decode("utf-8", errors="replace").rstrip("\n"))


_PROCESSES: dict[tuple[str, int], ScorerProcess] = {}
_PROCESSES_LOCK = threading.Lock()


def get_scorer_process(path: Path, *, workers: int | None = None) -> ScorerProcess:
    """One scorer process per (file, workers) in this process, started on first use."""
    key = (str(Path(path).resolve()), workers or 0)
    with _PROCESSES_LOCK:
        scorer = _PROCESSES.get(key)
        if scorer is None or scorer.stopped is not None:
            scorer = _PROCESSES[key] = ScorerProcess(path, workers=workers)
        return scorer


def close_scorer_processes(wait: bool = False) -> None:
    """Close every scorer process started here (the runner does so when an eval set ends:
    the child exits while the run index and the report are written; a later request
    through the provider starts a new one)."""
    with _PROCESSES_LOCK:
        scorers = list(_PROCESSES.values())
        _PROCESSES.clear()
    for scorer in scorers:
        scorer.close(wait=wait)


def serve(
    path: Path, max_tokens: int, workers: int | None, inbox: IO[bytes], out: IO[bytes]
) -> int:
    """The child's side: score what ``inbox`` asks, answer on ``out``; returns the exit code."""
    try:
        scorer = TorchScorer(path, workers=workers, max_tokens=max_tokens)
    except ModelError as ex:
        print(f"error: {ex}", file=sys.stderr)
        return 2
    lock = threading.Lock()
    open_jobs = threading.Semaphore(0)
    sent = 0

    def answer(key: int, future: Future[list[tuple[int, float]]]) -> None:
        try:
            message: tuple[Any, ...] = (key, future.result())
        except BaseException as ex:  # noqa: BLE001 - handed to the caller as a message
            message = (key, None, str(ex) or type(ex).__name__)
        with lock:
            _send(out, message)
        open_jobs.release()

    while True:
        batch = _receive(inbox)
        if batch is None:
            break
        for key, tokens, top_k, extra, prefix in batch:
            sent += 1
            try:
                future = scorer.submit_logprobs(tokens, top_k, extra, prefix)
            except ModelError as ex:  # a refused request is answered like a failed one
                future = Future()
                future.set_exception(ex)
            future.add_done_callback(functools.partial(answer, key))
    for _ in range(sent):
        open_jobs.acquire()
    return 0


def _main(argv: list[str]) -> int:
    # The answers go out on a copy of standard output; standard output itself goes to
    # standard error, so that nothing a library prints can land in the stream.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    path, max_tokens = Path(argv[0]), int(argv[1])
    workers = int(argv[2]) if len(argv) > 2 else None
    return serve(path, max_tokens, workers, sys.stdin.buffer, out)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
