"""The proxy's chat route on its two paths (direct ASGI, FastAPI route) and the check pool.

No servers: the ASGI application is driven in-process and the upstream is an
object, so these run in a few seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from proxy_servers import write_serve_bundle

from alignlab.policy.features import FeatureExtractor
from alignlab.policy.guard import FeatureTimeout, Guard
from alignlab.serve.app import GuardedProxy, ServeConfig, create_app, hash_key
from alignlab.serve.upstream import Completion
from alignlab.store.audit import AuditLog

KEY = "sk-paths-0123456789"


class EchoUpstream:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def complete(
        self, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any]
    ) -> Completion:
        self.seen.append(messages[-1]["content"])
        return Completion(f"ECHO: {messages[-1]['content']}", 3, 4)

    async def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> Guard:
    return Guard.load(write_serve_bundle(tmp_path_factory.mktemp("bundle")))


def proxy(guard: Guard, tmp_path: Path, **options: Any) -> tuple[GuardedProxy, AuditLog]:
    audit = AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    config = ServeConfig(
        guard=guard, audit=audit, upstream=EchoUpstream(), model_name="m", **options
    )
    return create_app(config), audit


def ask(client: TestClient, content: str, **body: Any) -> Any:
    return client.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": content}], **body},
    )


def test_direct_and_fastapi_paths_answer_alike(guard: Guard, tmp_path: Path) -> None:
    app, audit = proxy(guard, tmp_path)
    fastapi_paths: list[str] = []
    fastapi = app.app

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            fastapi_paths.append(scope["path"])
        await fastapi(scope, receive, send)

    app.app = spy  # type: ignore[assignment]
    answers = {}
    for name, asgi in (("direct", app), ("fastapi", fastapi)):
        with TestClient(asgi) as client:
            reply = ask(client, "is 4111 1111 1111 1111 a visa card?")
            assert reply.status_code == 200
            assert reply.headers["content-type"] == "application/json"
            assert reply.headers["x-alignlab-outcome"] == "rewrite"
            body = reply.json()
            assert reply.headers["x-alignlab-request-id"] == body["id"]
            answers[name] = (body["choices"], body["usage"], body["alignlab"])
            streamed = ask(client, "tell me about lighthouses", stream=True)
            assert streamed.headers["content-type"].startswith("text/event-stream")
            events = [line for line in streamed.text.split("\n\n") if line]
            assert events[-1] == "data: [DONE]"
            denied = ask(client, "the forbidden thing")
            assert denied.json()["choices"][0]["finish_reason"] == "content_filter"
    assert fastapi_paths == []  # the direct path never went through FastAPI
    assert answers["direct"] == answers["fastapi"]
    assert answers["direct"][0][0]["message"]["content"] == "ECHO: is <CREDIT_CARD> a visa card?"
    assert audit.count() == 6  # every answer on both paths has its record


def test_key_and_size_are_checked_before_the_body_is_read(guard: Guard, tmp_path: Path) -> None:
    app, audit = proxy(guard, tmp_path, api_keys={hash_key(KEY): "team"}, max_body_bytes=1000)
    big = {"model": "m", "messages": [{"role": "user", "content": "x" * 5000}]}
    with TestClient(app) as client:
        no_key = client.post("/v1/chat/completions", json=big)
        assert no_key.status_code == 401
        auth = {"authorization": f"Bearer {KEY}"}
        too_big = client.post("/v1/chat/completions", json=big, headers=auth)
        assert too_big.status_code == 413
        # a body over the limit without a (truthful) length header is cut off while read
        chunks = iter([b'{"messages": [', b" " * 2000, b"]}"])
        streamed = client.post("/v1/chat/completions", content=chunks, headers=auth)
        assert streamed.status_code == 413
        ok = client.post("/v1/chat/completions", json={**big, "messages": []}, headers=auth)
        assert ok.status_code == 400 and "'messages' is empty" in ok.text
        assert client.get("/v1/models", headers=auth).status_code == 200
        assert client.get("/v1/chat/completions").status_code == 405
    assert audit.count() == 0  # refused before any policy ran: nothing to audit


class Slow(FeatureExtractor):
    def __init__(self, seconds: float) -> None:
        super().__init__(enabled=())
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self._count = threading.Lock()

    def _compute(self, text: str) -> dict:
        with self._count:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._count:
            self.running -= 1
        return super()._compute(text)


def slow_guard(tmp_path: Path, seconds: float, timeout: float) -> Guard:
    root = write_serve_bundle(tmp_path / "b")
    base = Guard.load(root, warm=False)
    return Guard(base.bundle, Slow(seconds), feature_timeout_s=timeout)


def test_pool_checks_time_out_closed_and_queueing_is_not_counted(tmp_path: Path) -> None:
    guard = slow_guard(tmp_path, seconds=0.15, timeout=0.4)

    async def main() -> list[Any]:
        limiter = asyncio.Semaphore(2)
        messages = [[{"role": "user", "content": f"message {i}"}] for i in range(6)]
        return await asyncio.gather(
            *(guard.check_request_async(m, limiter=limiter) for m in messages),
            return_exceptions=True,
        )

    started = time.perf_counter()
    verdicts = asyncio.run(main())
    # six checks of 0.15 s, two at a time: 0.45 s in all, longer than the 0.4 s timeout,
    # yet none timed out, because the wait for the limiter is not scoring time
    assert [v.decision.action for v in verdicts] == ["allow"] * 6
    assert guard.extractor.most == 2  # type: ignore[attr-defined]
    assert time.perf_counter() - started >= 0.45

    stuck = slow_guard(tmp_path / "s", seconds=1.0, timeout=0.1)

    async def one() -> Any:
        return await stuck.check_request_async(
            [{"role": "user", "content": "hi"}], limiter=asyncio.Semaphore(1)
        )

    started = time.perf_counter()
    with pytest.raises(FeatureTimeout, match="longer than 0.1 s"):
        asyncio.run(one())
    assert time.perf_counter() - started < 0.9  # abandoned at the timeout, not awaited
