"""Where the proxy's answers come from: an OpenAI-compatible server or an in-process model.

``OpenAIUpstream`` posts to ``{base_url}/chat/completions`` (vLLM, llama.cpp
server, Ollama, a hosted API). ``InspectUpstream`` runs any Inspect model
string in this process, the bundled ``alignlab/smollm2`` included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class UpstreamError(Exception):
    """The upstream model failed or could not be reached."""


@dataclass(frozen=True)
class Completion:
    """An upstream answer and its token counts."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Upstream(Protocol):
    async def complete(
        self, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any]
    ) -> Completion: ...

    async def close(self) -> None: ...


PASSED_PARAMS = ("max_tokens", "temperature", "top_p", "stop", "seed")


class OpenAIUpstream:
    """An OpenAI-compatible chat-completions server.

    One aiohttp session (a keep-alive connection pool) per event loop, made on
    first use: against a loopback stub it costs ~0.13 ms of CPU per call where
    httpx's ``AsyncClient`` cost ~1.5 ms (bench/README.md, issue 10).
    """

    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120.0
    ) -> None:
        self.model = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout_s = timeout_s
        self._session: Any = None
        self._loop: Any = None

    def _client(self) -> Any:
        import asyncio

        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
                connector=aiohttp.TCPConnector(limit=256),
            )
            self._loop = loop
        return self._session

    async def complete(
        self, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any]
    ) -> Completion:
        import json

        import aiohttp

        body: dict[str, Any] = {"model": self.model, "messages": list(messages), "stream": False}
        body.update({k: params[k] for k in PASSED_PARAMS if params.get(k) is not None})
        try:
            async with self._client().post(self._url, json=body) as reply:
                status = reply.status
                raw = await reply.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as ex:
            raise UpstreamError(f"upstream unreachable: {type(ex).__name__}") from None
        if status != 200:
            raise UpstreamError(f"upstream answered HTTP {status}")
        try:
            data = json.loads(raw)
            text = data["choices"][0]["message"]["content"] or ""
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            raise UpstreamError("upstream answer is not a chat completion") from None
        return Completion(
            str(text), int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
        )

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class InspectUpstream:
    """Any Inspect model, in this process (``alignlab/smollm2``: the bundled model)."""

    def __init__(self, model: str, model_args: Mapping[str, Any] | None = None) -> None:
        from inspect_ai.model import get_model

        self.model_name = model
        self._model = get_model(model, **dict(model_args or {}))

    async def complete(
        self, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any]
    ) -> Completion:
        from inspect_ai.model import (
            ChatMessage,
            ChatMessageAssistant,
            ChatMessageSystem,
            ChatMessageUser,
            GenerateConfig,
        )

        chat: list[ChatMessage] = []
        for message in messages:
            role, content = message.get("role"), str(message.get("content") or "")
            if role == "system":
                chat.append(ChatMessageSystem(content=content))
            elif role == "assistant":
                chat.append(ChatMessageAssistant(content=content))
            else:
                chat.append(ChatMessageUser(content=content))
        config = GenerateConfig(
            max_tokens=params.get("max_tokens"),
            temperature=params.get("temperature"),
            top_p=params.get("top_p"),
            seed=params.get("seed"),
        )
        try:
            output = await self._model.generate(chat, config=config)
        except Exception as ex:  # any provider failure is an upstream failure
            raise UpstreamError(f"model {self.model_name} failed: {type(ex).__name__}") from None
        usage = output.usage
        return Completion(
            output.completion,
            usage.input_tokens if usage else 0,
            usage.output_tokens if usage else 0,
        )

    async def close(self) -> None:
        return None
