"""In-process Hugging Face transformers engine: chat templating, batched choice scoring, generation.

What alignlab runs for ``hf/<checkpoint>`` (and ``alignlab-hf/<checkpoint>``):
a causal LM loaded with transformers on the CPU (or ``-M device=...``), in
float32 unless ``-M dtype=...`` says otherwise, with no ``device_map`` (so no
``accelerate``).

Scoring works as lm-eval-harness's ``hf`` backend does, with fewer wasted
FLOPs:

* requests from all samples go to one worker thread, which takes whatever is
  queued (up to ``batch_size`` rows), sorts it by length and runs one forward
  pass per chunk, padded on the right (causal attention never looks at the
  padding after a token, so a row's logits do not depend on its company
  beyond float rounding);
* the prefix all rows of a pass share (the chat template and system turn:
  24 of the ~57 tokens of an ETHICS item with SmolLM2) is evaluated once and
  its KV cache repeated over the rows;
* logits are projected onto the vocabulary only at the positions read: the
  last prompt position for the next-token distribution, and the positions
  inside a multi-token answer;
* a single-token answer costs nothing beyond the prompt's one pass: its token
  is read from the next-token distribution (every surface form, "yes", " yes",
  "Yes", ... as alignlab's llama.cpp provider returns them);
* a multi-token answer (a choice none of whose surface forms is one token) is
  scored exactly: the sum of its tokens' log-probabilities after the prompt,
  for the answer as written with and without a leading space (lm-eval scores
  one such continuation), each in a row ``prompt + answer[:-1]`` of the same
  batch; the next-token distribution is then read from that row.

Generation is greedy unless a temperature above 0 is asked for: transformers'
``generate`` refuses ``temperature=0``, so it is never passed one.
"""

from __future__ import annotations

import copy
import math
import queue
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.errors import ModelError
from alignlab.models.outputs import Completion
from alignlab.models.workers import start_workers

# Rows a forward pass: on 2 cores, 200 ETHICS items took 36.4 s at 8, 34.1 s at 16, 27.6 s
# at 32 (bench/bench_models.py, whole command, one run each).
DEFAULT_BATCH_SIZE = 32
# How long the worker waits for more requests once it holds some, to fill a batch.
_GATHER_S = 0.005
# Shortest shared prefix worth evaluating once for a whole chunk.
_MIN_PREFIX = 8
_INSTALL_HINT = "install the hf extra: pip install 'alignlab[hf]' (torch CPU wheel, transformers)"


@dataclass
class _ScoreJob:
    prompt: list[int]
    top_k: int
    extra: list[int]  # single-token answer forms: exact next-token log-probs
    sequences: list[tuple[str, list[int]]]  # multi-token answer forms, scored exactly
    future: Future[ScoreResult]


@dataclass
class ScoreResult:
    """One scoring request's answer.

    ``top``: the ``top_k`` most likely next tokens after the prompt, most likely
    first, then the requested single-token forms (token id, log-prob).
    ``sequences``: (text, exact log-prob) of each multi-token answer form.
    """

    top: list[tuple[int, float]]
    sequences: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class _Row:
    job: _ScoreJob
    tokens: list[int]
    # positions whose logits are read: the last prompt position first
    positions: list[int]
    sequence: int | None  # index into job.sequences, or None for the prompt-only row


def _first_line(ex: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(ex).strip().splitlines()[0] if str(ex).strip() else "")
    text = text.rstrip(".")
    return f"{type(ex).__name__}: {text}" if text else type(ex).__name__


def looks_like_path(name: str) -> bool:
    """Whether a ``hf/`` model name is a local path rather than a hub repository id."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or Path(name).exists()


class HFEngine:
    """One transformers causal LM in this process, served by one worker thread.

    Args:
        name: a local checkpoint directory (or a hub repository id, which needs
            the network or the hub cache).
        device: torch device (default ``cpu``).
        dtype: torch dtype name (default ``float32``; ``auto`` keeps the checkpoint's).
        batch_size: most rows in one forward pass.
        n_threads: torch intra-op threads of each worker (default: torch's choice;
            set in the worker threads only).
        trust_remote_code: passed to transformers.
        seed: sampling seed used when a request gives none.
        reuse_prefix: evaluate the prefix all rows of a forward pass share once.
        workers: threads running forward passes side by side, each on batches of
            at most ``batch_size`` rows (one worker gathers up to four batches
            and sorts them by length first). On the CPU, when neither
            ``n_threads`` nor ``workers`` is given, the engine runs one worker a
            core with one torch thread each: the cores then never wait at
            torch's intra-op barriers, which stall whenever the Python thread
            serving Inspect takes a core (600 ETHICS items on 2 cores under
            load: 90 CPU s and 59 s against 151 CPU s and 125 s with one
            worker on two torch threads; bench/README.md, issue 9).
    """

    def __init__(
        self,
        name: str,
        *,
        device: str = "cpu",
        dtype: str = "float32",
        batch_size: int = DEFAULT_BATCH_SIZE,
        n_threads: int | None = None,
        trust_remote_code: bool = False,
        seed: int = 0,
        reuse_prefix: bool = True,
        workers: int | None = None,
    ) -> None:
        path = Path(name).expanduser()
        if looks_like_path(name) and not (path / "config.json").is_file():
            what = "does not exist" if not path.exists() else "holds no config.json"
            raise ModelError(f"Hugging Face checkpoint {path} {what}; nothing was run.")
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as ex:
            raise ModelError(
                f"hf/ models need torch and transformers ({ex}); {_INSTALL_HINT}."
            ) from None
        source = str(path) if looks_like_path(name) else name
        torch_dtype = getattr(torch, dtype, None) if dtype != "auto" else "auto"
        if torch_dtype is None:
            raise ModelError(
                f"Unknown dtype '{dtype}' for {name} (float32, bfloat16, float16, auto)"
            )
        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        dtype_key = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
        tokenizer: Any
        model: Any
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar over Inspect's display
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
            model = AutoModelForCausalLM.from_pretrained(
                source, trust_remote_code=trust_remote_code, **{dtype_key: torch_dtype}
            )
            model.to(device)
        except Exception as ex:
            raise ModelError(
                f"transformers could not load '{name}': {_first_line(ex)}. Nothing was run."
            ) from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        model.eval()
        if device == "cpu" and not n_threads and not workers:
            from alignlab.models.llama_engine import default_threads

            n_threads, workers = 1, default_threads()
        # applied in each worker thread (OpenMP keeps a thread count per thread), so the
        # rest of the process (training after an eval, embeddings) keeps torch's own
        self.n_threads = n_threads
        self.name = name
        self.torch = torch
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.seed = seed
        self.batch_size = max(1, int(batch_size))
        self.chat_template = getattr(tokenizer, "chat_template", None)
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
        self.pad_id = int(pad)
        # Newer transformers project onto the vocabulary only at given positions per row.
        forward = getattr(type(model), "forward", None)
        import inspect as _inspect

        params = _inspect.signature(forward).parameters if forward else {}
        self._keep_2d = "logits_to_keep" in params and major >= 5
        # transformers 5.x renames forward's past_key_values to cache
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        # Shared-prefix KV reuse needs a cache object that can be copied and repeated.
        self._reuse_prefix = self._keep_2d and reuse_prefix
        self._prefix_cache: tuple[list[int], Any] | None = None
        self._token_texts: dict[int, str] = {}
        self._forms: dict[tuple[str, ...], tuple[list[int], list[tuple[str, list[int]]]]] = {}
        self._jobs: queue.SimpleQueue[_ScoreJob | Callable[[], None] | None] = queue.SimpleQueue()
        self.workers = max(1, int(workers or 1))
        self._threads: list[threading.Thread] = []
        self._worker_lock = threading.Lock()

    # -- text ----------------------------------------------------------------

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """The model's chat template with the assistant header; plain text without one."""
        if self.chat_template:
            return str(
                self.tokenizer.apply_chat_template(
                    messages, add_generation_prompt=True, tokenize=False
                )
            )
        return "\n\n".join(m["content"] for m in messages)

    def tokenize(self, text: str) -> list[int]:
        """Tokens of a rendered prompt (a chat template writes its own special tokens)."""
        ids = self.tokenizer(text, add_special_tokens=not self.chat_template)["input_ids"]
        return [int(t) for t in ids]

    def token_text(self, token: int) -> str:
        """The text of one token (special tokens included)."""
        text = self._token_texts.get(token)
        if text is None:
            text = self._token_texts[token] = str(
                self.tokenizer.decode(
                    [token], skip_special_tokens=False, clean_up_tokenization_spaces=False
                )
            )
        return text

    def _encode(self, text: str) -> list[int]:
        return [int(t) for t in self.tokenizer(text, add_special_tokens=False)["input_ids"]]

    def answer_forms(self, words: list[str]) -> tuple[list[int], list[tuple[str, list[int]]]]:
        """How each answer word is scored: single-token forms, and multi-token forms.

        A word with a surface form ("yes", " yes", "Yes", " Yes", "YES", " YES")
        that is one token is a single-token answer: each such form's token is
        read from the next-token distribution. A word with none is a multi-token
        answer: the word as written, with and without a leading space, is
        scored exactly.
        """
        key = tuple(words)
        cached = self._forms.get(key)
        if cached is not None:
            return cached
        single: list[int] = []
        sequences: list[tuple[str, list[int]]] = []
        for word in words:
            forms = sorted({word, word.lower(), word.capitalize(), word.upper()})
            ids = {text: self._encode(text) for form in forms for text in (form, " " + form)}
            ones = [t[0] for t in ids.values() if len(t) == 1]
            if ones:
                single.extend(ones)
                continue
            for text in (word, " " + word):
                if ids[text]:
                    sequences.append((text, ids[text]))
        found = (list(dict.fromkeys(single)), sequences)
        self._forms[key] = found
        return found

    # -- the worker ----------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._threads:
            return
        with self._worker_lock:
            if not self._threads:
                self._threads = start_workers(self._work, self.workers, "alignlab-hf", self._jobs)

    def _work(self) -> None:
        if self.n_threads:
            self.torch.set_num_threads(self.n_threads)
        while True:
            item = self._jobs.get()
            if item is None:
                return
            if not isinstance(item, _ScoreJob):
                item()
                continue
            jobs = [item]
            rows = self._rows_of(item)
            deadline = time.monotonic() + _GATHER_S
            later: list[Callable[[], None] | None] = []
            # one worker sorts up to four batches by length; several share the queue
            gather = self.batch_size * 4 if self.workers == 1 else self.batch_size
            while rows < gather:
                try:
                    more = self._jobs.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if isinstance(more, _ScoreJob):
                    jobs.append(more)
                    rows += self._rows_of(more)
                else:
                    later.append(more)
                    break
            self._run_jobs(jobs)
            for other in later:
                if other is None:
                    return
                other()

    @staticmethod
    def _rows_of(job: _ScoreJob) -> int:
        return max(1, sum(1 for _, ids in job.sequences if len(ids) > 1))

    def _run_jobs(self, jobs: list[_ScoreJob]) -> None:
        live = [j for j in jobs if j.future.set_running_or_notify_cancel()]
        rows: list[_Row] = []
        for job in live:
            n = len(job.prompt)
            multi = [(i, ids) for i, (_, ids) in enumerate(job.sequences) if len(ids) > 1]
            if not multi:
                rows.append(_Row(job, job.prompt, [n - 1], None))
            for i, ids in multi:
                positions = list(range(n - 1, n + len(ids) - 1))
                rows.append(_Row(job, job.prompt + ids[:-1], positions, i))
        logprobs: dict[int, Any] = {}
        try:
            rows.sort(key=lambda r: len(r.tokens), reverse=True)
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start : start + self.batch_size]
                for row, values in zip(chunk, self._forward(chunk), strict=True):
                    logprobs[id(row)] = values
        except BaseException as ex:  # handed to every caller of this batch
            for job in live:
                job.future.set_exception(ex)
            return
        for job in live:
            try:
                job.future.set_result(self._result(job, rows, logprobs))
            except BaseException as ex:
                job.future.set_exception(ex)

    def _forward(self, rows: list[_Row]) -> list[Any]:
        """Log-softmax at each row's read positions: one ``[positions, vocab]`` tensor per row.

        The prefix every row of the chunk shares (the chat template and system
        turn) is evaluated once and its KV cache reused for every row, when the
        model supports it; otherwise each row is evaluated whole.
        """
        prefix = _common_prefix([r.tokens for r in rows])
        if self._reuse_prefix and len(prefix) >= _MIN_PREFIX:
            try:
                return self._forward_rows(rows, prefix)
            except Exception:  # a model whose cache cannot be shared: plain passes from now on
                self._reuse_prefix = False
                self._prefix_cache = None
        return self._forward_rows(rows, [])

    def _prefix_kv(self, prefix: list[int]) -> Any:
        """The KV cache of ``prefix`` alone (the last one is kept: chunks mostly share it)."""
        cached = self._prefix_cache
        if cached is not None and cached[0] == prefix:
            return cached[1]
        torch = self.torch
        ids = torch.tensor([prefix], dtype=torch.long, device=self.device)
        with torch.inference_mode():
            out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        kv = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        self._prefix_cache = (list(prefix), kv)
        return kv

    def _forward_rows(self, rows: list[_Row], prefix: list[int]) -> list[Any]:
        torch = self.torch
        skip = len(prefix)
        width = max(len(r.tokens) for r in rows) - skip
        keep = max(len(r.positions) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), skip + width), dtype=torch.long)
        where = torch.zeros((len(rows), keep), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row.tokens) - skip] = torch.tensor(row.tokens[skip:], dtype=torch.long)
            mask[i, : len(row.tokens)] = 1
            wanted = [p - skip for p in row.positions]
            where[i] = torch.tensor(wanted + [wanted[-1]] * (keep - len(wanted)))
        kwargs: dict[str, Any] = {
            "input_ids": ids.to(self.device),
            "attention_mask": mask.to(self.device),
        }
        with torch.inference_mode():
            if skip:
                kv = copy.deepcopy(self._prefix_kv(prefix))
                kv.batch_repeat_interleave(len(rows))
                positions = torch.arange(skip, skip + width, dtype=torch.long)
                kwargs[self._cache_arg] = kv
                kwargs["position_ids"] = positions.expand(len(rows), width).to(self.device)
                kwargs["use_cache"] = True
            if self._keep_2d:
                logits = self.model(**kwargs, logits_to_keep=where.to(self.device)).logits
            else:
                full = self.model(**kwargs).logits
                logits = torch.take_along_dim(full, where.to(full.device)[..., None], dim=1)
            values = torch.log_softmax(logits.float(), dim=-1).cpu()
        return [values[i, : len(row.positions)] for i, row in enumerate(rows)]

    def _result(self, job: _ScoreJob, rows: list[_Row], logprobs: dict[int, Any]) -> ScoreResult:
        mine = [r for r in rows if r.job is job]
        next_token = logprobs[id(mine[0])][0]
        top = _top(next_token, job.top_k, job.extra)
        sequences: list[tuple[str, float]] = []
        for i, (text, ids) in enumerate(job.sequences):
            if len(ids) == 1:
                sequences.append((text, float(next_token[ids[0]])))
                continue
            [row] = [r for r in mine if r.sequence == i]
            values = logprobs[id(row)]
            sequences.append((text, math.fsum(float(values[k, t]) for k, t in enumerate(ids))))
        return ScoreResult(top=top, sequences=sequences)

    # -- requests ------------------------------------------------------------

    def submit_score(
        self,
        prompt: list[int],
        top_k: int,
        extra: list[int] | None = None,
        sequences: list[tuple[str, list[int]]] | None = None,
    ) -> Future[ScoreResult]:
        """Queue one prompt for scoring; the future gives its :class:`ScoreResult`."""
        if not prompt:
            raise ModelError(f"{self.name}: an empty prompt cannot be scored")
        self._ensure_worker()
        future: Future[ScoreResult] = Future()
        self._jobs.put(_ScoreJob(list(prompt), top_k, list(extra or []), sequences or [], future))
        return future

    def score(
        self,
        prompts: list[list[int]],
        top_k: int,
        words: list[str] | None = None,
    ) -> list[ScoreResult]:
        """Score several prompts (for tests and benches); see :meth:`submit_score`."""
        extra, sequences = self.answer_forms(words) if words else ([], [])
        futures = [self.submit_score(p, top_k, extra, sequences) for p in prompts]
        return [f.result() for f in futures]

    def submit_complete(self, tokens: list[int], **options: Any) -> Future[Completion]:
        """Queue a generation (options as for :meth:`_complete`) on the worker thread."""
        self._ensure_worker()
        future: Future[Completion] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(self._complete(tokens, **options))
            except BaseException as ex:
                future.set_exception(ex)

        self._jobs.put(run)
        return future

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
        """Generate a continuation of ``tokens``: greedy when temperature is 0 (or unset)."""
        torch = self.torch
        kwargs: dict[str, Any] = {"max_new_tokens": max_tokens}
        if temperature and temperature > 0:
            torch.manual_seed(self.seed if seed is None else seed)
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p)
        else:
            # transformers refuses temperature=0; greedy is do_sample=False, and the
            # checkpoint's own sampling defaults must not leak in.
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        pad = self.tokenizer.pad_token_id
        kwargs["pad_token_id"] = self.pad_id if pad is None else pad
        ids = torch.tensor([tokens], dtype=torch.long, device=self.device)
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **kwargs)
        new = [int(t) for t in out[0, len(tokens) :]]
        generated = len(new)
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        finish = "length"
        if new and new[-1] in eos_ids:
            new, finish = new[:-1], "stop"
        text = str(self.tokenizer.decode(new, skip_special_tokens=True))
        for s in stop or []:
            cut = text.find(s)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        return Completion(text, finish, len(tokens), generated)


def _common_prefix(rows: list[list[int]]) -> list[int]:
    """The tokens every row starts with, leaving each row at least one token of its own."""
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    n = 0
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return first[:n]


def _top(values: Any, top_k: int, extra: list[int]) -> list[tuple[int, float]]:
    """The ``top_k`` entries of a log-softmax row, most likely first, then ``extra`` ones."""
    k = max(1, min(top_k, values.shape[-1]))
    best = values.topk(k)
    listed = [int(t) for t in best.indices]
    seen = set(listed)
    listed += [t for t in dict.fromkeys(extra) if t not in seen]
    return [(t, float(values[t])) for t in listed]


_ENGINES: dict[tuple[Any, ...], HFEngine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(name: str, **options: Any) -> HFEngine:
    """One engine per (checkpoint, options) in this process: loading is not free."""
    key = (name, *sorted(options.items()))
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = HFEngine(name, **options)
        return engine
