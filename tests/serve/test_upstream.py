"""OpenAIUpstream (aiohttp): answers parsed; unreachable, non-200 and malformed answers raise."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from alignlab.serve.upstream import OpenAIUpstream, UpstreamError


async def _serve_once(status: int, body: bytes) -> tuple[asyncio.AbstractServer, str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        request = json.loads(await reader.readexactly(length))
        assert request["model"] == "m" and request["stream"] is False
        writer.write(
            b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
            % (status, len(body))
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1"


async def _ask(status: int, body: bytes) -> str:
    server, url = await _serve_once(status, body)
    upstream = OpenAIUpstream(url, "m")
    try:
        completion = await upstream.complete([{"role": "user", "content": "hi"}], {"seed": 1})
        return f"{completion.text}|{completion.prompt_tokens}|{completion.completion_tokens}"
    finally:
        await upstream.close()
        server.close()


def test_answer_is_parsed() -> None:
    body = json.dumps(
        {
            "choices": [{"message": {"content": "hello"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4},
        }
    ).encode()
    assert asyncio.run(_ask(200, body)) == "hello|3|4"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, b"{}", "HTTP 500"),
        (200, b"not json", "not a chat completion"),
        (200, b'{"choices": []}', "not a chat completion"),
    ],
)
def test_bad_answers_raise(status: int, body: bytes, message: str) -> None:
    with pytest.raises(UpstreamError, match=message):
        asyncio.run(_ask(status, body))


def test_unreachable_raises() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def ask() -> None:
        upstream = OpenAIUpstream(f"http://127.0.0.1:{port}/v1", "m", timeout_s=5)
        try:
            await upstream.complete([{"role": "user", "content": "hi"}], {})
        finally:
            await upstream.close()

    with pytest.raises(UpstreamError, match="unreachable"):
        asyncio.run(ask())
