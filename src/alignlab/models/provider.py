"""The ``alignlab/<model>`` Inspect model provider: GGUF models run in-process by llama.cpp.

``alignlab/smollm2`` is the bundled SmolLM2-135M-Instruct; ``alignlab/<path>.gguf``
is any other local GGUF file. Decoding is deterministic by default
(temperature 0, fixed seed) and every output carries real token counts, so
Inspect never needs its tiktoken-based estimate (which downloads a file).

A request for exactly one token with ``logprobs=True`` is a scoring request:
it goes straight to the engine's scoring workers, which take requests from all
samples as they arrive (see :class:`LlamaEngine`); the event loop never waits
for a batch to fill or to finish.
"""

from __future__ import annotations

import asyncio
from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput
from inspect_ai.tool import ToolChoice, ToolInfo

from alignlab.models.bundled import resolve_gguf
from alignlab.models.llama_engine import LlamaEngine, get_engine
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


class LlamaCppInProcessAPI(ModelAPI):
    """Inspect ``ModelAPI`` over :class:`LlamaEngine`.

    Model args (``-M key=value``): ``n_ctx`` (default 4096), ``n_threads``
    (default: all cores), ``seed`` (default 0), and for the bundled model
    ``weights`` (``bf16`` by default, a cached re-encoding; ``q4_1`` for the file
    as shipped; see :func:`alignlab.models.bundled.bundled_weights`).
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
        self._path = resolve_gguf(model_name, None if weights is None else str(weights))
        self._engine_args: dict[str, Any] = {
            "n_ctx": int(model_args.get("n_ctx", 4096)),
            "n_threads": int(model_args["n_threads"]) if model_args.get("n_threads") else None,
            "seed": int(model_args.get("seed", config.seed if config.seed is not None else 0)),
        }
        self._engine: LlamaEngine | None = None
        if api_key != _MODEL_INFO_LOOKUP_API_KEY:
            self._engine = get_engine(self._path, **self._engine_args)

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
        return len(self.engine.tokenize(text))

    async def tokenize(self, text: str) -> list[int]:
        return self.engine.tokenize(text)

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        messages = [{"role": m.role, "content": m.text} for m in input]
        prompt = self.engine.render_chat(messages)
        tokens = self.engine.tokenize(prompt)
        if config.logprobs and config.max_tokens == 1:
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
