"""The ``alignlab/<model>`` Inspect model provider: GGUF models run in-process by llama.cpp.

``alignlab/smollm2`` is the bundled SmolLM2-135M-Instruct; ``alignlab/<path>.gguf``
is any other local GGUF file. Decoding is deterministic by default
(temperature 0, fixed seed) and every output carries real token counts, so
Inspect never needs its tiktoken-based estimate (which downloads a file).

A request for exactly one token with ``logprobs=True`` is a scoring request:
it goes straight to the engine's scoring workers, which take requests from all
samples as they arrive; the event loop never waits for a batch to fill or to
finish.

Which engine scores (``-M scorer=llama|torch``; for the bundled model ``torch``
when torch is installed, else ``llama``; every other GGUF file ``llama``).
``llama`` scores in llama.cpp, one prompt per decode in single-threaded
contexts. ``torch`` (the bundled model only; needs torch, from the ``hf`` or
``dev`` extras) scores batches of prompts with
:class:`alignlab.models.torch_engine.TorchScorer`, which reads the same BF16
weights from the same GGUF file, in a process of its own
(:class:`alignlab.models.torch_process.ScorerProcess`): in this process its
workers waited on Inspect's thread for the interpreter lock, and over 2,000
items the two cores ran at 1.71 on average; apart, at about 1.9. Both engines
give a prompt the same log-probs whatever the prompts scored before or beside
it (tested bit for bit). Each prompt's chat template head (everything before
the last message's text) is its shared prefix: evaluated once, reused by every
prompt that starts with it. Generation always runs in llama.cpp, loaded on
first use. Measured on 2 cores (``bench/README.md``, issue 9): about 50 ms of
CPU an ETHICS item for torch against about 84 for llama.cpp, whose products
stream every weight from memory again for each small block of a prompt's
tokens (2,000 items: 70-73 s for the whole command against 145.7 s); log-odds
sit 0.03 nats on average from the exact float32 weights for torch, 0.025 for
llama.cpp's BF16, and 0.04 from each other (no answer changed on 2,000 items).
torch costs memory: about 820 MB for a 200-item run (both processes) against
520 MB. The runner writes the scorer it used into the model's arguments, so
every log says which engine scored it.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput
from inspect_ai.tool import ToolChoice, ToolInfo

from alignlab.errors import ModelError
from alignlab.models.bundled import BUNDLED_NAME, resolve_gguf
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

SCORERS = ("llama", "torch")
# Chat template heads (see LlamaCppInProcessAPI.template_head) a provider keeps.
_HEADS_KEPT = 256


def torch_scorer_available() -> bool:
    """Whether torch, all the torch scorer needs beyond alignlab itself, is installed."""
    return importlib.util.find_spec("torch") is not None


def default_scorer(model_name: str, weights: str | None) -> str:
    """The scorer used when ``-M scorer`` is not given: ``torch`` for the bundled model
    (in its default BF16 weights) when torch is installed, ``llama`` otherwise."""
    if model_name == BUNDLED_NAME and weights is None and torch_scorer_available():
        return "torch"
    return "llama"


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
            raise ModelError(
                "-M weights=... picks llama.cpp's encoding and needs -M scorer=llama "
                "(the torch scorer reads the BF16 one)"
            )
        if not torch_scorer_available():
            raise ModelError("-M scorer=torch needs torch: pip install 'alignlab[hf]'")
    return scorer


class LlamaCppInProcessAPI(ModelAPI):
    """Inspect ``ModelAPI`` over :class:`LlamaEngine`.

    Model args (``-M key=value``): ``n_ctx`` (default 4096), ``n_threads``
    (default: all cores), ``seed`` (default 0), and for the bundled model
    ``scorer`` (``torch`` by default when torch is installed, else ``llama``;
    see the module's docs) and
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
        asked = model_args.get("scorer") or default_scorer(model_name, weights)
        self.scorer = choose_scorer(model_name, str(asked).lower(), weights)
        self._engine: LlamaEngine | None = None
        self._torch: Any = None
        self._text: LlamaEngine | None = None
        self._heads: dict[tuple[Any, ...], list[int]] = {}
        if api_key != _MODEL_INFO_LOOKUP_API_KEY:
            if self.scorer == "torch":
                self._torch = self._torch_scorer()
            else:
                self._engine = get_engine(self._path, **self._engine_args)

    def _torch_scorer(self) -> Any:
        """The torch scorer over the llama.cpp weights' GGUF file, one worker a core,
        in a process of its own (:mod:`alignlab.models.torch_process`)."""
        from alignlab.models.torch_process import get_scorer_process

        return get_scorer_process(self._path, workers=self._engine_args["n_threads"])

    @property
    def text_engine(self) -> LlamaEngine:
        """The engine that renders and tokenizes: the model itself, or its vocabulary alone."""
        if self._engine is not None:
            return self._engine
        if self.scorer == "torch":
            if self._text is None:
                self._text = get_engine(self._path, vocab_only=True, **self._engine_args)
            return self._text
        return self.engine

    @property
    def engine(self) -> LlamaEngine:
        """The model, loaded on first use (at construction, except for info lookups)."""
        if self._engine is None:
            self._engine = get_engine(self._path, **self._engine_args)
        return self._engine

    def template_head(self, messages: list[dict[str, str]], tokens: list[int]) -> int:
        """How many of ``tokens`` precede the last message's text: the chat template's head.

        It depends on the conversation before the last message and on the last
        message's role only, never on other prompts, so a prompt is always split
        at the same place whatever its batch company.
        """
        if not messages:
            return 0
        last = messages[-1]
        key = (tuple((m["role"], m["content"]) for m in messages[:-1]), last["role"])
        head = self._heads.pop(key, None)
        if head is None:
            engine = self.text_engine
            empty = [*messages[:-1], {"role": last["role"], "content": ""}]
            head = engine.tokenize(engine.render_chat(empty))
            # conversations that differ before their last message (a generated reasoning
            # turn) would each add an entry: keep the most recent ones
            while len(self._heads) >= _HEADS_KEPT:
                self._heads.pop(next(iter(self._heads)))
        self._heads[key] = head  # most recent last
        n = 0
        for a, b in zip(head, tokens, strict=False):
            if a != b:
                break
            n += 1
        return n

    def max_connections(self) -> int:
        # Many samples may wait on one engine: scoring requests queue for its
        # workers, generation requests are serialised by the engine's lock. The
        # torch scorer's workers take up to 16 prompts a pass each, so they are
        # allowed a deeper queue, which keeps them busy while Inspect's thread
        # writes the log.
        return 256 if self.scorer == "torch" else 64

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
        text = self.text_engine
        tokens = text.tokenize(text.render_chat(messages))
        if scoring:
            return await self._score(messages, tokens, config)
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

    async def _score(
        self, messages: list[dict[str, str]], tokens: list[int], config: GenerateConfig
    ) -> ModelOutput:
        text = self.text_engine
        top_k = max(config.top_logprobs or DEFAULT_TOP_LOGPROBS, 1)
        words = (config.extra_body or {}).get(CHOICES_FIELD) or []
        extra = text.first_tokens([str(w) for w in words]) if words else []
        # this request's top k, then its exact extra tokens
        if self._torch is not None and self._torch.closed:
            self._torch = self._torch_scorer()  # closed when an earlier eval set ended
        if self._torch is not None and len(tokens) <= self._torch.max_tokens:
            prefix = self.template_head(messages, tokens)
            future = self._torch.submit_logprobs(tokens, top_k, extra, prefix)
        else:
            future = self.engine.submit_logprobs(tokens, top_k, extra)
        top = await asyncio.wrap_future(future)
        best_token, best_logprob = top[0]
        entries = [(text.token_text(t), lp) for t, lp in top]
        return score_output(
            self.model_name, len(tokens), text.token_text(best_token), best_logprob, entries
        )
