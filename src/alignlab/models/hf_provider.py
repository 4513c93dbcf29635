"""The ``alignlab-hf/<checkpoint>`` Inspect model provider: transformers models run in-process.

``alignlab eval --model hf/<checkpoint>`` runs through this provider (see
:func:`route`): Inspect's own ``hf`` provider needs ``accelerate``, passes
``temperature=0`` to ``generate`` (which transformers refuses) and scores a
choice by generating one token with all the logits of every generated step.
This one scores choices with batched forward passes (:class:`HFEngine`) and
answers a scoring request the way alignlab's llama.cpp provider does, so
``scorers/forced_choice.py`` reads it unchanged. ``inspect eval --model hf/...``
still gets Inspect's provider.

Model args (``-M key=value``): ``device`` (default ``cpu``), ``dtype``
(default ``float32``; ``auto`` keeps the checkpoint's), ``batch_size``
(default 32 rows a forward pass), ``n_threads`` (torch threads),
``trust_remote_code`` (default false), ``seed`` (default 0), ``reuse_prefix``
(default true: evaluate the prefix a batch shares once), ``workers``
(threads running forward passes side by side; on the CPU, with neither
``n_threads`` nor ``workers`` given, one worker a core on one torch thread each).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput
from inspect_ai.tool import ToolChoice, ToolInfo

from alignlab.models.hf_engine import DEFAULT_BATCH_SIZE, HFEngine, ScoreResult, get_engine
from alignlab.models.outputs import completion_output, score_output
from alignlab.models.provider import (
    _MODEL_INFO_LOOKUP_API_KEY,
    CHOICES_FIELD,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TOP_LOGPROBS,
)

PROVIDER = "alignlab-hf"


def route(model: str) -> str:
    """The model string alignlab runs for ``model``: ``hf/<x>`` becomes ``alignlab-hf/<x>``."""
    if model.startswith("hf/"):
        return f"{PROVIDER}/{model.removeprefix('hf/')}"
    return model


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _normalise(text: str) -> str:
    # as scorers/forced_choice.py normalises a token before matching it to a choice
    return re.sub(r"[^\w/]+", "", text.strip().lower())


def _claims(text: str, targets: list[str]) -> int | None:
    """The choice the forced-choice scorer credits a token's log-prob to, if any."""
    norm = _normalise(text)
    if not norm:
        return None
    hits = [i for i, target in enumerate(targets) if target.startswith(norm)]
    if len(hits) == 1 and len(norm) >= min(2, len(targets[hits[0]])):
        return hits[0]
    return None


def choice_entries(
    result: ScoreResult, token_text: Any, choices: list[str]
) -> list[tuple[str, float]]:
    """A scoring result as the (text, log-prob) list the forced-choice scorer pools.

    For a single-token answer this is what alignlab's llama.cpp provider
    returns (top tokens, then the first token of every surface form). For a
    multi-token answer, the listed tokens the scorer would credit to it (first
    tokens, a lower bound's approximation) are replaced by the exact log-prob
    of each scored form.
    """
    targets = [_normalise(c) for c in choices]
    exact = {_normalise(text) for text, _ in result.sequences}
    entries = [(token_text(t), lp) for t, lp in result.top]
    if exact:
        kept = []
        for text, lp in entries:
            claimed = _claims(text, targets)
            if claimed is None or targets[claimed] not in exact:
                kept.append((text, lp))
        entries = kept + [(text, lp) for text, lp in result.sequences]
    return entries


class HuggingFaceInProcessAPI(ModelAPI):
    """Inspect ``ModelAPI`` over :class:`HFEngine` (a local or cached transformers checkpoint)."""

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
        self._engine_args: dict[str, Any] = {
            "device": str(model_args.get("device") or "cpu"),
            "dtype": str(model_args.get("dtype") or "float32"),
            "batch_size": int(model_args.get("batch_size") or DEFAULT_BATCH_SIZE),
            "n_threads": int(model_args["n_threads"]) if model_args.get("n_threads") else None,
            "trust_remote_code": _truthy(model_args.get("trust_remote_code", False)),
            "seed": int(model_args.get("seed", config.seed if config.seed is not None else 0)),
            "reuse_prefix": _truthy(model_args.get("reuse_prefix", True)),
            "workers": int(model_args["workers"]) if model_args.get("workers") else None,
        }
        self._engine: HFEngine | None = None
        if api_key != _MODEL_INFO_LOOKUP_API_KEY:
            self._engine = get_engine(model_name, **self._engine_args)

    @property
    def engine(self) -> HFEngine:
        """The model, loaded on first use (at construction, except for info lookups)."""
        if self._engine is None:
            self._engine = get_engine(self.model_name, **self._engine_args)
        return self._engine

    def max_connections(self) -> int:
        return 64

    def connection_key(self) -> str:
        return f"{PROVIDER}:{self.model_name}"

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
        tokens = self.engine.tokenize(self.engine.render_chat(messages))
        if config.logprobs and config.max_tokens == 1:
            return await self._score(tokens, config)
        completion = await asyncio.wrap_future(
            self.engine.submit_complete(
                tokens,
                max_tokens=config.max_tokens or DEFAULT_MAX_TOKENS,
                temperature=config.temperature or 0.0,
                top_p=config.top_p if config.top_p is not None else 1.0,
                seed=config.seed,
                stop=config.stop_seqs,
            )
        )
        return completion_output(self.model_name, completion)

    async def _score(self, tokens: list[int], config: GenerateConfig) -> ModelOutput:
        return await score_request(self.engine, self.model_name, tokens, config)


async def score_request(
    engine: HFEngine, model_name: str, tokens: list[int], config: GenerateConfig
) -> ModelOutput:
    """Answer one scoring request (one token, log-probs) with ``engine``'s batched passes."""
    top_k = max(config.top_logprobs or DEFAULT_TOP_LOGPROBS, 1)
    words = [str(w) for w in (config.extra_body or {}).get(CHOICES_FIELD) or []]
    extra, sequences = engine.answer_forms(words) if words else ([], [])
    result = await asyncio.wrap_future(engine.submit_score(tokens, top_k, extra, sequences))
    entries = choice_entries(result, engine.token_text, words)
    best_token, best_logprob = result.top[0]
    return score_output(
        model_name, len(tokens), engine.token_text(best_token), best_logprob, entries
    )
