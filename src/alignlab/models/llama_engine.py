"""In-process llama.cpp engine: chat templating, next-token scoring, generation.

Scoring exists because choice tasks need only the next-token distribution after
the prompt. It runs in small scoring contexts of its own, one prompt per
``llama_decode`` call, with logits computed for the last position only:

* prefix reuse: a scoring context keeps the KV cache of the prompt it scored
  last and evaluates only what follows the longest common prefix with the next
  one. Every chat prompt of a task starts with the same template and system
  turn (24 of the ~57 tokens of an ETHICS commonsense item with the bundled
  model), so this removes about 40% of the work;
* one single-threaded context per core, each in a worker thread fed from one
  queue as requests arrive: a decode of a few dozen tokens spends much of its
  time in the barriers between llama.cpp's hundreds of per-layer operations
  when it is split over threads (and far more when another process holds one
  of the cores); independent contexts need none;
* exact: a prompt's logits are bit for bit those of a plain evaluation of the
  whole prompt in a fresh context (same batch split, same KV cell layout), so a
  score never depends on which prompts were scored before it or alongside it.

Packing several prompts into one decode as separate sequences was measured
slower on CPU than this once prefixes are reused, and it makes a prompt's
logits depend on its batch company (up to 0.4 nats here).

The generation context (``n_ctx`` tokens: about 90 MB of KV cache at 4096 for
the bundled model) is allocated only when first needed, so a scoring-only run
never pays for it. Everything that runs in it (generation, prompts too long for
the scoring contexts) runs on one dedicated thread: llama.cpp's OpenMP build
gives each calling thread a team of its own, and once the process holds more
OpenMP threads than cores, their barriers stop spinning and sleep instead
(about 35% fewer tokens a second here when calls came from changing threads).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from alignlab.errors import ModelError
from alignlab.models.outputs import Completion
from alignlab.models.workers import start_workers

# Size of the generation context until generation (or a prompt too long for the
# scoring contexts) needs the full ``n_ctx``; llama-cpp-python's own batch size.
_INITIAL_CTX = 512
# Smallest scoring context; it grows (up to ``score_batch_tokens``) for longer prompts.
_MIN_SCORE_CTX = 512

T = TypeVar("T")


def default_threads() -> int:
    """Threads for llama.cpp: every core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class _ScoreJob:
    tokens: list[int]
    top_k: int
    extra: list[int]
    future: Future[list[tuple[int, float]]]


class _ScoreContext:
    """A one-sequence llama.cpp context that remembers which tokens its KV cache holds."""

    def __init__(self, llm: Any, n_ctx: int, n_threads: int) -> None:
        import llama_cpp
        from llama_cpp import _internals as internals

        # Same settings as the generation context (batch split, attention kernel,
        # KV types), so that logits match a plain evaluation there exactly.
        params = type(llm.context_params).from_buffer_copy(llm.context_params)
        params.n_ctx = n_ctx
        params.n_batch = n_ctx
        params.n_seq_max = 1
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        self.n_ctx = n_ctx
        self.ctx = internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self.batch = internals.LlamaBatch(n_tokens=n_ctx, embd=0, n_seq_max=1, verbose=False)
        self.memory = llama_cpp.llama_get_memory(self.ctx.ctx)
        self.cached: list[int] = []

    def last_logits(self, tokens: list[int]) -> Any:
        """Decode ``tokens`` (reusing the cached common prefix); pointer to the last logits."""
        import llama_cpp

        keep = 0
        limit = min(len(self.cached), len(tokens) - 1)  # always decode at least one token
        while keep < limit and self.cached[keep] == tokens[keep]:
            keep += 1
        if not llama_cpp.llama_memory_seq_rm(self.memory, -1, keep, -1):
            llama_cpp.llama_memory_clear(self.memory, True)
            keep = 0
        self.cached = []
        batch = self.batch.batch
        n = len(tokens) - keep
        for j in range(n):
            batch.token[j] = tokens[keep + j]
            batch.pos[j] = keep + j
            batch.n_seq_id[j] = 1
            batch.seq_id[j][0] = 0
            batch.logits[j] = False
        batch.logits[n - 1] = True
        batch.n_tokens = n
        self.ctx.decode(self.batch)
        self.cached = list(tokens)
        return llama_cpp.llama_get_logits_ith(self.ctx.ctx, -1)

    def close(self) -> None:
        self.batch.close()
        self.ctx.close()


class LlamaEngine:
    """One GGUF model loaded in this process, with a lock around every native call.

    Args:
        path: the GGUF file.
        n_ctx: context length of the generation context.
        n_threads: CPU threads (default: all cores available to the process).
        seed: sampling seed used when a request gives none.
        score_batch_tokens: longest prompt scored in a scoring context; longer
            ones are evaluated in the generation context.
        score_max_seqs: kept for compatibility; prompts are scored one per decode.
        score_workers: scoring contexts working in parallel (default: one per
            thread, at most 4); the threads are shared out among them.
        vocab_only: load the tokenizer and chat template only (no weights): text
            work for another engine that scores; scoring and generation refuse.
    """

    def __init__(
        self,
        path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
        score_batch_tokens: int = 2048,
        score_max_seqs: int = 32,
        score_workers: int | None = None,
        vocab_only: bool = False,
    ) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.path = Path(path)
        self.seed = seed
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        try:
            self._llm = Llama(
                model_path=str(self.path),
                n_ctx=min(n_ctx, _INITIAL_CTX),
                n_batch=512,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=seed,
                logits_all=False,
                vocab_only=vocab_only,
                verbose=False,
            )
        except (ValueError, RuntimeError) as ex:
            raise ModelError(f"llama.cpp could not load {self.path}: {ex}") from ex
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(
                f"{self.path} carries no chat template (tokenizer.chat_template); "
                "alignlab needs one to format chat messages."
            )
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(self._llm.token_eos()),
            bos_token=self._token_text(self._llm.token_bos()),
        )
        self.n_vocab = self._llm.n_vocab()
        self.vocab_only = vocab_only
        self.score_batch_tokens = score_batch_tokens
        self.score_max_seqs = score_max_seqs
        workers = score_workers or min(self.n_threads, 4)
        self.score_workers = max(1, min(workers, self.n_threads))
        self._scorers: list[_ScoreContext] = []
        self._jobs: queue.SimpleQueue[_ScoreJob | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._workers_lock = threading.Lock()
        self._native: ThreadPoolExecutor | None = None
        self._native_thread: int | None = None
        self._token_texts: dict[int, str] = {}
        self._first_tokens: dict[tuple[str, ...], list[int]] = {}
        self._generation_ready = n_ctx <= _INITIAL_CTX
        self._generation_lock = threading.Lock()
        self.lock = threading.Lock()

    # -- contexts ------------------------------------------------------------

    def _check_weights(self) -> None:
        if self.vocab_only:
            raise ModelError(f"{self.path}: loaded for its vocabulary only; it cannot evaluate")

    @property
    def llm(self) -> Any:
        """The llama-cpp-python ``Llama``, with its full ``n_ctx`` context."""
        self._check_weights()
        self._ensure_generation_context()
        return self._llm

    def _ensure_generation_context(self) -> None:
        """Swap the small start-up context of ``Llama`` for one of ``n_ctx`` tokens, once."""
        if self._generation_ready:
            return
        import contextlib

        from llama_cpp import _internals as internals

        with self._generation_lock:
            if self._generation_ready:
                return
            llm = self._llm
            llm.context_params.n_ctx = self.n_ctx
            try:
                ctx = internals.LlamaContext(
                    model=llm._model, params=llm.context_params, verbose=False
                )
            except (ValueError, RuntimeError) as ex:
                raise ModelError(f"llama.cpp could not allocate {self.n_ctx} tokens: {ex}") from ex
            old, llm._ctx = llm._ctx, llm._stack.enter_context(contextlib.closing(ctx))
            old.close()
            llm._n_ctx = llm.n_ctx()
            llm.input_ids = np.ndarray((llm._n_ctx,), dtype=np.intc)
            llm.n_tokens = 0
            self._generation_ready = True

    # -- text ----------------------------------------------------------------

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def token_text(self, token: int) -> str:
        """The text of one token (special tokens included)."""
        text = self._token_texts.get(token)
        if text is None:
            text = self._token_texts[token] = self._token_text(token)
        return text

    def first_tokens(self, words: list[str]) -> list[int]:
        """First token of each surface form of each word ("yes", " yes", "Yes", " Yes", "YES")."""
        key = tuple(words)
        cached = self._first_tokens.get(key)
        if cached is not None:
            return list(cached)
        tokens: list[int] = []
        for word in words:
            forms = {word, word.lower(), word.capitalize(), word.upper()}
            for form in sorted(forms):
                for text in (form, " " + form):
                    ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
                    if ids:
                        tokens.append(int(ids[0]))
        found = self._first_tokens[key] = list(dict.fromkeys(tokens))
        return list(found)

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """Apply the model's own chat template, ending with the assistant turn's header."""
        return self._formatter(messages=messages).prompt  # type: ignore[arg-type]

    def tokenize(self, text: str) -> list[int]:
        """Tokens of a rendered prompt; BOS added only if the model asks for it."""
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    # -- scoring -------------------------------------------------------------

    def _ensure_score_context(self) -> None:
        """Create the scoring contexts and start their worker threads, once."""
        if self._workers:
            return
        self._check_weights()
        with self._workers_lock:
            if self._workers:
                return
            threads = max(1, self.n_threads // self.score_workers)
            size = min(_MIN_SCORE_CTX, self.score_batch_tokens)
            self._scorers = [
                _ScoreContext(self._llm, size, threads) for _ in range(self.score_workers)
            ]
            self._workers = start_workers(
                self._work, self.score_workers, "alignlab-score", self._jobs
            )

    def _work(self, slot: int) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                result = self._score_one(slot, job.tokens, job.top_k, job.extra)
            except BaseException as ex:  # handed to the caller
                job.future.set_exception(ex)
            else:
                job.future.set_result(result)

    def _scorer_for(self, slot: int, n_tokens: int) -> _ScoreContext:
        """The scoring context of ``slot``, regrown if ``n_tokens`` do not fit in it."""
        scorer = self._scorers[slot]
        if n_tokens > scorer.n_ctx:
            size = scorer.n_ctx
            while size < n_tokens:
                size *= 2
            threads = max(1, self.n_threads // self.score_workers)
            scorer.close()
            scorer = self._scorers[slot] = _ScoreContext(
                self._llm, min(size, self.score_batch_tokens), threads
            )
        return scorer

    def _score_one(
        self, slot: int, tokens: list[int], top_k: int, extra: list[int]
    ) -> list[tuple[int, float]]:
        if not tokens:
            return []
        if len(tokens) > self.score_batch_tokens:
            logits = self._on_native_thread(self._eval_in_generation_context, tokens)
        else:
            ptr = self._scorer_for(slot, len(tokens)).last_logits(tokens)
            logits = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)
        return _top_logprobs(logits, top_k, extra)

    def _eval_in_generation_context(self, tokens: list[int]) -> np.ndarray:
        with self.lock:
            llm = self.llm
            llm.reset()
            llm.eval(tokens)
            return self._last_logits(llm._ctx.ctx, -1)

    def _last_logits(self, ctx: Any, index: int) -> np.ndarray:
        import llama_cpp

        ptr = llama_cpp.llama_get_logits_ith(ctx, index)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)

    def submit_logprobs(
        self, tokens: list[int], top_k: int, extra: list[int] | None = None
    ) -> Future[list[tuple[int, float]]]:
        """Queue one prompt for scoring; the future gives :meth:`next_token_logprobs`' row."""
        self._ensure_score_context()
        future: Future[list[tuple[int, float]]] = Future()
        self._jobs.put(_ScoreJob(list(tokens), top_k, list(extra or []), future))
        return future

    def next_token_logprobs(
        self,
        prompts: list[list[int]],
        top_k: int,
        extra_tokens: list[list[int]] | None = None,
    ) -> list[list[tuple[int, float]]]:
        """The ``top_k`` most likely next tokens after each prompt, with log-probabilities.

        ``extra_tokens[i]`` are tokens whose exact log-probability is wanted
        after prompt ``i`` whatever their rank; they follow the top ones.
        Prompts are shared out among the scoring contexts; only the last
        position of each prompt has its logits computed. A prompt longer than
        ``score_batch_tokens`` is evaluated alone in the generation context.
        """
        wanted = extra_tokens or [[] for _ in prompts]
        futures = [
            self.submit_logprobs(tokens, top_k, extra)
            for tokens, extra in zip(prompts, wanted, strict=True)
        ]
        return [future.result() for future in futures]

    # -- generation ----------------------------------------------------------

    def _on_native_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the engine's one thread for multi-threaded llama.cpp work."""
        if threading.get_ident() == self._native_thread:
            return fn(*args, **kwargs)
        return self._submit_native(fn, *args, **kwargs).result()

    def _submit_native(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        if self._native is None:
            with self._workers_lock:
                if self._native is None:

                    def remember() -> None:
                        self._native_thread = threading.get_ident()

                    self._native = ThreadPoolExecutor(
                        max_workers=1, thread_name_prefix="alignlab-llama", initializer=remember
                    )
        return self._native.submit(fn, *args, **kwargs)

    def submit_complete(self, tokens: list[int], **options: Any) -> Future[Completion]:
        """Queue a generation (options as for :meth:`_complete`) on the generation thread."""
        return self._submit_native(self._complete, tokens, **options)

    def _complete(
        self,
        tokens: list[int],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        stop: list[str] | None = None,
    ) -> Completion:
        """Generate a continuation of ``tokens`` (greedy when temperature is 0)."""
        with self.lock:
            llm = self.llm
            # Reusing a cached prompt prefix evaluates the prompt in different
            # batch shapes, which changes the numerics; start clean each time.
            llm.reset()
            out: Any = llm.create_completion(
                prompt=tokens,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                seed=self.seed if seed is None else seed,
                stop=stop or [],
            )
        choice = out["choices"][0]
        usage = out["usage"]
        return Completion(
            text=choice["text"],
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=int(usage["prompt_tokens"]),
            completion_tokens=int(usage["completion_tokens"]),
        )


def _top_logprobs(
    logits: np.ndarray, top_k: int, extra: list[int] | None = None
) -> list[tuple[int, float]]:
    """Log-softmax of ``logits``: its ``top_k`` entries, most likely first, then ``extra`` ones."""
    shifted = logits - logits.max()
    logprobs = shifted - np.log(np.exp(shifted).sum())
    k = min(top_k, logprobs.shape[0])
    top = np.argpartition(-logprobs, k - 1)[:k]
    top = top[np.argsort(-logprobs[top])]
    listed = [int(t) for t in top]
    listed += [t for t in dict.fromkeys(extra or []) if t not in set(listed)]
    return [(t, float(logprobs[t])) for t in listed]


_ENGINES: dict[tuple[str, int, int, int, bool], LlamaEngine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(
    path: Path,
    *,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    seed: int = 0,
    vocab_only: bool = False,
) -> LlamaEngine:
    """One engine per (file, context, threads, seed, vocab_only) in this process."""
    key = (str(Path(path).resolve()), n_ctx, n_threads or 0, seed, vocab_only)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = LlamaEngine(
                path, n_ctx=n_ctx, n_threads=n_threads, seed=seed, vocab_only=vocab_only
            )
            _ENGINES[key] = engine
        return engine
