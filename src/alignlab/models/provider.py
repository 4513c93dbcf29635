"""The ``alignlab/<model>`` Inspect model provider: GGUF models run in-process by llama.cpp.

``alignlab/smollm2`` is the bundled SmolLM2-135M-Instruct; ``alignlab/<path>.gguf``
is any other local GGUF file. Decoding is deterministic by default
(temperature 0, fixed seed) and every output carries real token counts, so
Inspect never needs its tiktoken-based estimate (which downloads a file).

A request for exactly one token with ``logprobs=True`` is a scoring request:
it goes straight to the engine's scoring workers, which take requests from all
samples as they arrive; the event loop never waits for a batch to fill or to
finish.

Which engine scores (``-M scorer=llama|torch``). ``llama`` (the default) scores
in llama.cpp, exact to the bit whatever the batch company. ``torch`` (the
bundled model only; needs the ``hf`` extra: torch, transformers, gguf) loads a
bfloat16 Hugging Face copy of the bundled weights (converted once and cached,
:func:`alignlab.train.convert.bundled_checkpoint`) and runs batched forward
passes, one worker thread a core with one torch thread each; generation still
runs in llama.cpp. Measured on 2 cores (``bench/README.md``, issue 9): oneDNN's
bfloat16 products evaluate about 680 prompt tokens/s a core on batches of 32
prompts, against about 420 for llama.cpp's BF16 kernel on one prompt a decode
(llama.cpp re-reads every weight at each decode, about 20 ms a call here), so
600 ETHICS items took 56 CPU s against 69. It is not the default because it
costs memory and precision: torch and transformers add about 400 MB (a
200-item run peaked at 1,035 MB against 538 MB), and torch keeps activations
in bfloat16 between layers, which moves the bundled items' log-odds 0.07 nats
on average (0.24 at most) from the exact float32 weights, against 0.017 for
llama.cpp's BF16 (no answer changed on the 200 items measured).
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput
from inspect_ai.tool import ToolChoice, ToolInfo

from alignlab.errors import ModelError
from alignlab.models.bundled import BUNDLED_NAME, resolve_gguf
from alignlab.models.llama_engine import LlamaEngine, default_threads, get_engine
from alignlab.models.outputs import completion_output, score_output

DEFAULT_TOP_LOGPROBS = 20
CHOICES_FIELD = "alignlab_choices"
"""``extra_body`` field of a scoring request: answer words whose exact log-probability
(that of their first token, in every surface form) must be returned whatever its rank."""
DEFAULT_MAX_TOKENS = 256
# The api_key Inspect passes when it instantiates a provider only to look up model
# information (for usage events): such an instance never generates, so it must not
# load a model (a second copy whenever -M arguments are given).
_MODEL_INFO_LOOKUP_API_KEY = "__model_info_lookup__"

SCORERS = ("llama", "torch")
# Rows a forward pass of the torch scorer: 32 rows of about 37 new tokens evaluate 677
# tokens/s on one thread here, 8 rows 586, 64 rows 700 (bench/README.md, issue 9).
TORCH_SCORER_BATCH = 32


def torch_scorer_available() -> bool:
    """Whether the packages the torch scorer needs (the ``hf`` extra) are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "gguf"))


def choose_scorer(model_name: str, scorer: str, weights: str | None) -> str:
    """Check ``-M scorer=...`` for ``model_name``: the engine that answers scoring requests."""
    if scorer not in SCORERS:
        raise ModelError(f"Unknown scorer '{scorer}'; use one of: {', '.join(SCORERS)}")
    if scorer == "torch":
        if model_name != BUNDLED_NAME:
            raise ModelError(
                f"-M scorer=torch applies to the bundled model only; for '{model_name}' use "
                "hf/<checkpoint> (transformers) or leave the scorer to llama.cpp"
            )
        if weights is not None:
            raise ModelError("-M weights=... selects llama.cpp weights; it needs -M scorer=llama")
        if not torch_scorer_available():
            raise ModelError(
                "-M scorer=torch needs torch, transformers and gguf: pip install 'alignlab[hf]'"
            )
    return scorer


class LlamaCppInProcessAPI(ModelAPI):
    """Inspect ``ModelAPI`` over :class:`LlamaEngine`.

    Model args (``-M key=value``): ``n_ctx`` (default 4096), ``n_threads``
    (default: all cores), ``seed`` (default 0), and for the bundled model
    ``scorer`` (``llama`` by default, or ``torch``; see the module's docs) and
    ``weights`` (llama.cpp's weights: ``bf16`` by default, a cached
    re-encoding; ``q4_1`` for the file as shipped; see
    :func:`alignlab.models.bundled.bundled_weights`).
    """

    answers_choice_field = True
    """Reads the exact log-probability of each choice named in ``CHOICES_FIELD``."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - Inspect's provider signature
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        weights = model_args.get("weights")
        weights = None if weights is None else str(weights)
        self._path = resolve_gguf(model_name, weights)
        self._engine_args: dict[str, Any] = {
            "n_ctx": int(model_args.get("n_ctx", 4096)),
            "n_threads": int(model_args["n_threads"]) if model_args.get("n_threads") else None,
            "seed": int(model_args.get("seed", config.seed if config.seed is not None else 0)),
        }
        self.scorer = choose_scorer(
            model_name, str(model_args.get("scorer", "llama")).lower(), weights
        )
        self._engine: LlamaEngine | None = None
        self._torch: Any = None
        if api_key != _MODEL_INFO_LOOKUP_API_KEY:
            if self.scorer == "torch":
                self._torch = self._torch_engine()
            else:
                self._engine = get_engine(self._path, **self._engine_args)

    def _torch_engine(self) -> Any:
        """The torch scorer's engine: the bundled weights in bfloat16, one worker a core."""
        from alignlab.models import hf_engine
        from alignlab.train.convert import bundled_checkpoint

        workers = self._engine_args["n_threads"] or default_threads()
        return hf_engine.get_engine(
            str(bundled_checkpoint("bfloat16")),
            dtype="bfloat16",
            n_threads=1,
            workers=workers,
            batch_size=TORCH_SCORER_BATCH,
            seed=self._engine_args["seed"],
        )

    @property
    def text_engine(self) -> Any:
        """The engine whose tokenizer counts and splits text: the scorer's."""
        if self.scorer == "torch":
            if self._torch is None:
                self._torch = self._torch_engine()
            return self._torch
        return self.engine

    @property
    def engine(self) -> LlamaEngine:
        """The model, loaded on first use (at construction, except for info lookups)."""
        if self._engine is None:
            self._engine = get_engine(self._path, **self._engine_args)
        return self._engine

    def max_connections(self) -> int:
        # Many samples may wait on one engine: scoring requests queue for its
        # workers, generation requests are serialised by the engine's lock.
        return 64

    def connection_key(self) -> str:
        return f"alignlab:{self._path}"

    async def count_text_tokens(self, text: str) -> int:
        return len(self.text_engine.tokenize(text))

    async def tokenize(self, text: str) -> list[int]:
        return list(self.text_engine.tokenize(text))

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        messages = [{"role": m.role, "content": m.text} for m in input]
        scoring = bool(config.logprobs and config.max_tokens == 1)
        if scoring and self.scorer == "torch":
            from alignlab.models.hf_provider import score_request

            engine = self.text_engine
            tokens = engine.tokenize(engine.render_chat(messages))
            return await score_request(engine, self.model_name, tokens, config)
        prompt = self.engine.render_chat(messages)
        tokens = self.engine.tokenize(prompt)
        if scoring:
            return await self._score(tokens, config)
        max_tokens = config.max_tokens or DEFAULT_MAX_TOKENS
        completion = await asyncio.wrap_future(
            self.engine.submit_complete(
                tokens,
                max_tokens=max_tokens,
                temperature=config.temperature if config.temperature is not None else 0.0,
                top_p=config.top_p if config.top_p is not None else 1.0,
                seed=config.seed,
                stop=config.stop_seqs,
            )
        )
        return completion_output(self.model_name, completion)

    async def _score(self, tokens: list[int], config: GenerateConfig) -> ModelOutput:
        top_k = max(config.top_logprobs or DEFAULT_TOP_LOGPROBS, 1)
        words = (config.extra_body or {}).get(CHOICES_FIELD) or []
        extra = self.engine.first_tokens([str(w) for w in words]) if words else []
        # this request's top k, then its exact extra tokens
        top = await asyncio.wrap_future(self.engine.submit_logprobs(tokens, top_k, extra))
        best_token, best_logprob = top[0]
        entries = [(self.engine.token_text(t), lp) for t, lp in top]
        return score_output(
            self.model_name, len(tokens), self.engine.token_text(best_token), best_logprob, entries
        )
