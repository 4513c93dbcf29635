"""Inspect ``ModelOutput``s of alignlab's in-process providers (llama.cpp and transformers).

Both providers answer a generation request and a scoring request (one token with
log-probabilities) the same way, so the forced-choice scorer reads either unchanged;
these two functions are that shape, with real token counts (Inspect never has to
estimate them with its tiktoken counter, which downloads a file). Inspect is imported
where an output is built, so that the engines (which import :class:`Completion`) stay
free of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspect_ai.model import ModelOutput


@dataclass(frozen=True)
class Completion:
    """The result of one generation call of an in-process engine."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


def completion_output(model: str, completion: Completion) -> ModelOutput:
    """The output of a generation request: the text, why it stopped, and its token counts."""
    from inspect_ai.model import ChatCompletionChoice, ChatMessageAssistant, ModelOutput, ModelUsage

    return ModelOutput(
        model=model,
        choices=[
            ChatCompletionChoice(
                message=ChatMessageAssistant(
                    content=completion.text, model=model, source="generate"
                ),
                stop_reason="max_tokens" if completion.finish_reason == "length" else "stop",
            )
        ],
        usage=ModelUsage(
            input_tokens=completion.prompt_tokens,
            output_tokens=completion.completion_tokens,
            total_tokens=completion.prompt_tokens + completion.completion_tokens,
        ),
    )


def score_output(
    model: str,
    prompt_tokens: int,
    token: str,
    logprob: float,
    entries: Sequence[tuple[str, float]],
) -> ModelOutput:
    """The output of a scoring request: the most likely next ``token`` as the answer, with
    ``entries`` (text, log-prob) as its top log-probabilities, and one output token."""
    from inspect_ai.model import (
        ChatCompletionChoice,
        ChatMessageAssistant,
        Logprob,
        Logprobs,
        ModelOutput,
        ModelUsage,
        TopLogprob,
    )

    content = Logprob(
        token=token,
        logprob=logprob,
        top_logprobs=[TopLogprob(token=text, logprob=lp) for text, lp in entries],
    )
    return ModelOutput(
        model=model,
        choices=[
            ChatCompletionChoice(
                message=ChatMessageAssistant(content=token, model=model, source="generate"),
                stop_reason="max_tokens",
                logprobs=Logprobs(content=[content]),
            )
        ],
        usage=ModelUsage(
            input_tokens=prompt_tokens, output_tokens=1, total_tokens=prompt_tokens + 1
        ),
    )
