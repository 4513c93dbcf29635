"""The proxy's in-process upstream: the bundled model answers through InspectUpstream."""

from __future__ import annotations

import asyncio

import pytest

from alignlab.serve.upstream import InspectUpstream


@pytest.mark.slow
def test_bundled_model_answers_in_process() -> None:
    upstream = InspectUpstream("alignlab/smollm2")
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "What colour is the sky on a clear day?"},
    ]
    completion = asyncio.run(upstream.complete(messages, {"max_tokens": 8, "temperature": 0.0}))
    assert completion.text.strip()
    assert completion.prompt_tokens > 0 and 0 < completion.completion_tokens <= 8
