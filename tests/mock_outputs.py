"""Scripted model outputs shared by the tests.

Tests import it as ``mock_outputs``: pytest puts ``tests/`` on ``sys.path``
for the rootdir ``conftest.py``. Every builder takes the ``usage`` to report:
without usage Inspect tries to download a tokenizer to count tokens.
"""

from __future__ import annotations

import math

from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessageAssistant,
    Logprob,
    Logprobs,
    ModelOutput,
    ModelUsage,
    TopLogprob,
)


def top_logprob_output(
    top: dict[str, float], usage: ModelUsage, model: str = "model"
) -> ModelOutput:
    """One-token output of ``model`` answering the likeliest of ``top`` (token: logprob)."""
    best = max(top, key=lambda token: top[token])
    return ModelOutput(
        model=model,
        choices=[
            ChatCompletionChoice(
                message=ChatMessageAssistant(content=best, model=model, source="generate"),
                stop_reason="max_tokens",
                logprobs=Logprobs(
                    content=[
                        Logprob(
                            token=best,
                            logprob=top[best],
                            top_logprobs=[TopLogprob(token=t, logprob=lp) for t, lp in top.items()],
                        )
                    ]
                ),
            )
        ],
        usage=usage,
    )


def probability_output(probabilities: dict[str, float], usage: ModelUsage) -> ModelOutput:
    """One-token output (model ``mockllm/model``): top logprobs are the tokens' log(p)."""
    top = [TopLogprob(token=t, logprob=math.log(p)) for t, p in probabilities.items()]
    best = max(top, key=lambda t: t.logprob)
    return ModelOutput(
        model="mockllm/model",
        choices=[
            ChatCompletionChoice(
                message=ChatMessageAssistant(content=best.token, model="mockllm/model"),
                stop_reason="max_tokens",
                logprobs=Logprobs(
                    content=[Logprob(token=best.token, logprob=best.logprob, top_logprobs=top)]
                ),
            )
        ],
        usage=usage,
    )


def text_output(text: str, usage: ModelUsage, model: str = "mockllm/model") -> ModelOutput:
    """A plain text answer with ``usage``."""
    output = ModelOutput.from_content(model=model, content=text)
    output.usage = usage
    return output
