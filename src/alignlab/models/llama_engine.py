"""In-process llama.cpp engine: chat templating, batched next-token scoring, generation.

The scoring path exists because choice tasks need only the next-token
distribution after the prompt. llama.cpp computes logits just for the positions
we flag, so we flag the last position of each prompt and pack several prompts
(as separate sequences) into one ``llama_decode`` call: fewer, larger matrix
multiplications than one call per prompt.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import ModelError


@dataclass(frozen=True)
class Completion:
    """The result of one generation call."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


def default_threads() -> int:
    """Threads for llama.cpp: every core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class LlamaEngine:
    """One GGUF model loaded in this process, with a lock around every native call.

    Args:
        path: the GGUF file.
        n_ctx: context length of the generation context.
        n_threads: CPU threads (default: all cores available to the process).
        seed: sampling seed used when a request gives none.
        score_batch_tokens: tokens packed into one scoring ``llama_decode`` call.
        score_max_seqs: prompts packed into one scoring call at most.
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
    ) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.path = Path(path)
        self.seed = seed
        self.n_threads = n_threads or default_threads()
        try:
            self.llm = Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_batch=512,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=seed,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError) as ex:
            raise ModelError(f"llama.cpp could not load {self.path}: {ex}") from ex
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(
                f"{self.path} carries no chat template (tokenizer.chat_template); "
                "alignlab needs one to format chat messages."
            )
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(self.llm.token_eos()),
            bos_token=self._token_text(self.llm.token_bos()),
        )
        self.n_vocab = self.llm.n_vocab()
        self.score_batch_tokens = score_batch_tokens
        self.score_max_seqs = score_max_seqs
        self._score_ctx: Any = None
        self._score_batch: Any = None
        self.lock = threading.Lock()

    # -- text ----------------------------------------------------------------

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def token_text(self, token: int) -> str:
        """The text of one token (special tokens included)."""
        return self._token_text(token)

    def first_tokens(self, words: list[str]) -> list[int]:
        """First token of each surface form of each word ("yes", " yes", "Yes", " Yes", "YES")."""
        tokens: list[int] = []
        for word in words:
            forms = {word, word.lower(), word.capitalize(), word.upper()}
            for form in sorted(forms):
                for text in (form, " " + form):
                    ids = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
                    if ids:
                        tokens.append(int(ids[0]))
        return list(dict.fromkeys(tokens))

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """Apply the model's own chat template, ending with the assistant turn's header."""
        return self._formatter(messages=messages).prompt  # type: ignore[arg-type]

    def tokenize(self, text: str) -> list[int]:
        """Tokens of a rendered prompt; BOS added only if the model asks for it."""
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    # -- scoring -------------------------------------------------------------

    def _ensure_score_context(self) -> None:
        if self._score_ctx is not None:
            return
        import llama_cpp
        from llama_cpp import _internals as internals

        params = llama_cpp.llama_context_default_params()
        params.n_ctx = max(self.score_batch_tokens, 512)
        params.n_batch = self.score_batch_tokens
        params.n_ubatch = self.score_batch_tokens
        params.n_seq_max = self.score_max_seqs
        params.n_threads = self.n_threads
        params.n_threads_batch = self.n_threads
        params.kv_unified = True
        # Flash attention over a KV buffer shared by several sequences makes one
        # prompt's logits depend on which other prompts share its batch (0.9
        # nats measured here); without it they do not, and they match the
        # generation context (where llama-cpp-python disables it by default).
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self._score_ctx = internals.LlamaContext(
            model=self.llm._model, params=params, verbose=False
        )
        self._score_batch = internals.LlamaBatch(
            n_tokens=self.score_batch_tokens, embd=0, n_seq_max=self.score_max_seqs, verbose=False
        )

    def _last_logits(self, ctx: Any, index: int) -> np.ndarray:
        import llama_cpp

        ptr = llama_cpp.llama_get_logits_ith(ctx, index)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)

    def next_token_logprobs(
        self,
        prompts: list[list[int]],
        top_k: int,
        extra_tokens: list[list[int]] | None = None,
    ) -> list[list[tuple[int, float]]]:
        """The ``top_k`` most likely next tokens after each prompt, with log-probabilities.

        ``extra_tokens[i]`` are tokens whose exact log-probability is wanted
        after prompt ``i`` whatever their rank; they follow the top ones.
        Prompts are packed into as few decode calls as the batch allows; only
        the last position of each prompt has its logits computed. A prompt too
        long for the scoring batch is evaluated alone in the generation context.
        """
        wanted = extra_tokens or [[] for _ in prompts]
        results: list[list[tuple[int, float]] | None] = [None] * len(prompts)
        with self.lock:
            self._ensure_score_context()
            ctx, batch = self._score_ctx, self._score_batch
            order = list(range(len(prompts)))
            i = 0
            while i < len(order):
                tokens = prompts[order[i]]
                if len(tokens) > self.score_batch_tokens:
                    self.llm.reset()
                    self.llm.eval(tokens)
                    logits = self._last_logits(self.llm._ctx.ctx, -1)
                    results[order[i]] = _top_logprobs(logits, top_k, wanted[order[i]])
                    i += 1
                    continue
                batch.reset()
                ctx.kv_cache_clear()
                packed: list[tuple[int, int]] = []  # (prompt index, batch position of last token)
                used = 0
                while (
                    i < len(order)
                    and len(packed) < self.score_max_seqs
                    and used + len(prompts[order[i]]) <= self.score_batch_tokens
                ):
                    seq = prompts[order[i]]
                    batch.add_sequence(seq, len(packed), False)
                    used += len(seq)
                    packed.append((order[i], used - 1))
                    i += 1
                ctx.decode(batch)
                for prompt_index, position in packed:
                    results[prompt_index] = _top_logprobs(
                        self._last_logits(ctx.ctx, position), top_k, wanted[prompt_index]
                    )
        return [r if r is not None else [] for r in results]

    # -- generation ----------------------------------------------------------

    def complete(
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
            # Reusing a cached prompt prefix evaluates the prompt in different
            # batch shapes, which changes the numerics; start clean each time.
            self.llm.reset()
            out: Any = self.llm.create_completion(
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


_ENGINES: dict[tuple[str, int, int, int], LlamaEngine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(
    path: Path, *, n_ctx: int = 4096, n_threads: int | None = None, seed: int = 0
) -> LlamaEngine:
    """One engine per (file, context, threads, seed) in this process: loading is not free."""
    key = (str(Path(path).resolve()), n_ctx, n_threads or 0, seed)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = LlamaEngine(path, n_ctx=n_ctx, n_threads=n_threads, seed=seed)
            _ENGINES[key] = engine
        return engine
