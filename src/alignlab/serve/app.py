"""The guarded OpenAI-compatible proxy: request policy, model, response policy, audit, answer.

``POST /v1/chat/completions`` (``stream`` true or false) and ``GET /v1/models``.
For every request, in order:

1. API key (when keys are configured), body size, rate limit;
2. the request policy on the last user message (deny answers with the
   policy's reasons and ``finish_reason="content_filter"``; rewrite sends the
   rewritten message upstream; escalate passes and flags the record);
3. the upstream model;
4. the response policy on the answer (same four actions);
5. the audit record, committed;
6. only then the answer, as one JSON body or as server-sent events.

Streaming therefore releases the answer after the whole of it has passed
the response policy: a guard cannot judge text it has not seen.

Fail closed: a policy error, a feature-scorer timeout, an upstream failure
or an audit database that cannot be written gives an HTTP error with the
reason and no model text. Application logs name request ids and outcomes,
never message text (unless ``log_text`` is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from alignlab.policy.bundle import PolicyError
from alignlab.policy.grader import Ask
from alignlab.policy.guard import Guard, Verdict
from alignlab.serve.upstream import Upstream, UpstreamError
from alignlab.store.audit import AuditError, AuditLog, AuditRecord

log = logging.getLogger("alignlab.serve")

DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_RATE_PER_MINUTE = 6000
STREAM_PIECE_CHARS = 24
_ORDER = {"allow": 0, "escalate": 1, "rewrite": 2, "deny": 3}


def hash_key(key: str) -> str:
    """The stored form of an API key: its SHA-256 (keys are long random strings)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def read_key_file(path: str) -> dict[str, str]:
    """``name:sha256hex`` lines (``#`` comments allowed) -> {hash: name}.

    Raises:
        ValueError: a line that is not ``name:<64 hex digits>``.
    """
    keys: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, digest = line.rpartition(":")
            if not name or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"{path}, line {number}: expected name:<sha256 hex of the key>")
            keys[digest] = name
    return keys


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests a minute, bursts up to the same."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1.0, now)
            return True


@dataclass
class ServeConfig:
    """Everything the proxy needs; ``api_keys`` maps key hashes to key names (empty: no keys)."""

    guard: Guard
    audit: AuditLog
    upstream: Upstream
    model_name: str
    api_keys: dict[str, str] = field(default_factory=dict)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
    store_text: bool = False
    log_text: bool = False
    grader_ask: Ask | None = None


def _error(status: int, message: str, kind: str, request_id: str | None = None) -> JSONResponse:
    reply = _error_reply(status, message, kind, request_id)
    return JSONResponse(reply.body, status_code=reply.status)


def _check_messages(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise ValueError("the body must be a JSON object with a 'messages' list")
    messages = []
    for message in body["messages"]:
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "developer",
        ):
            raise ValueError("each message needs a role: system, user, assistant or developer")
        content = message.get("content")
        if isinstance(content, list):  # content parts: keep the text parts
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise ValueError("each message needs text content")
        role = "system" if message["role"] == "developer" else message["role"]
        messages.append({"role": role, "content": content})
    if not messages:
        raise ValueError("'messages' is empty")
    return messages


def _with_last_user(messages: Sequence[Mapping[str, str]], text: str) -> list[dict[str, str]]:
    out = [dict(m) for m in messages]
    for message in reversed(out):
        if message["role"] == "user":
            message["content"] = text
            break
    return out


def _completion_body(
    request_id: str, model: str, text: str, finish: str, usage: Mapping[str, int], extra: dict
) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": dict(usage),
        "alignlab": extra,
    }


async def _sse(request_id: str, model: str, text: str, finish: str) -> AsyncIterator[bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, str], reason: str | None) -> bytes:
        body = {
            "id": request_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""}, None)
    for start in range(0, len(text), STREAM_PIECE_CHARS):
        yield chunk({"content": text[start : start + STREAM_PIECE_CHARS]}, None)
    yield chunk({}, finish)
    yield b"data: [DONE]\n\n"


@dataclass
class Reply:
    """An answer of the chat route: status, headers, and a JSON body or a stream of events."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    stream: AsyncIterator[bytes] | None = None


def _error_reply(status: int, message: str, kind: str, request_id: str | None = None) -> Reply:
    body: dict[str, Any] = {"error": {"message": message, "type": kind, "code": status}}
    if request_id:
        body["error"]["request_id"] = request_id
    return Reply(status, body)


def _json_bytes(body: Any) -> bytes:
    """JSON as Starlette's ``JSONResponse`` renders it (compact, UTF-8)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8"
    )


CHAT_PATH = "/v1/chat/completions"


class TooLarge(Exception):
    """The request body is over the size limit."""


class GuardedProxy:
    """The proxy as an ASGI application.

    ``POST /v1/chat/completions`` is answered here, straight on the ASGI
    interface (no Starlette request, middleware or response objects: per
    request that layer cost about as much CPU as the upstream call, see
    bench/README.md, issue 10); everything else (``/v1/models``, unknown
    paths, the lifespan that closes the upstream client) goes to :attr:`app`,
    a FastAPI application, which also routes the chat path when it is reached
    another way (a mount).
    """

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.limiter = RateLimiter(config.rate_per_minute)
        # At most as many policy checks at once as the guard has feature workers: the
        # others wait here, so a feature timeout measures scoring, not time in the queue.
        self.checks = asyncio.Semaphore(config.guard.workers)
        self.app = self._fastapi()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == CHAT_PATH
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            await self._asgi_chat(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _fastapi(self) -> FastAPI:
        config = self.config

        @contextlib.asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            yield
            await config.upstream.close()

        app = FastAPI(
            title="alignlab guarded proxy", docs_url=None, redoc_url=None, lifespan=lifespan
        )

        @app.get("/v1/models")
        async def models(request: Request) -> Response:
            if self.client_of(request.headers.get("authorization"), _peer(request)) is None:
                return _error(401, "missing or unknown API key", "authentication_error")
            return JSONResponse(
                {
                    "object": "list",
                    "data": [
                        {
                            "id": config.model_name,
                            "object": "model",
                            "created": 0,
                            "owned_by": "alignlab",
                        }
                    ],
                }
            )

        async def chat(request: Request) -> Response:
            reply = await self.chat(
                lambda: _read_limited(request.stream(), config.max_body_bytes),
                request.headers.get("authorization"),
                request.headers.get("content-length"),
                _peer(request),
            )
            if reply.stream is not None:
                return StreamingResponse(
                    reply.stream, media_type="text/event-stream", headers=reply.headers
                )
            return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

        app.add_route(CHAT_PATH, chat, methods=["POST"])
        return app

    async def _asgi_chat(self, scope: Any, receive: Any, send: Any) -> None:
        authorization = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-length":
                length = value.decode("latin-1")
        client = scope.get("client")
        peer = client[0] if client else None

        async def chunks() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _Disconnected
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        try:
            reply = await self.chat(
                lambda: _read_limited(chunks(), self.config.max_body_bytes),
                authorization,
                length,
                peer,
            )
        except _Disconnected:
            return
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
        if reply.stream is None:
            body = _json_bytes(reply.body)
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode("latin-1")))
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        headers.append((b"content-type", b"text/event-stream; charset=utf-8"))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        async for piece in reply.stream:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def client_of(self, authorization: str | None, peer: str | None) -> str | None:
        """The key name (keys configured) or the peer address; None for a bad or missing key."""
        if not self.config.api_keys:
            return f"addr:{peer or 'unknown'}"
        header = authorization or ""
        key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        digest = hash_key(key) if key else ""
        for known, name in self.config.api_keys.items():
            if digest and hmac.compare_digest(known, digest):
                return f"key:{name}"
        return None

    async def chat(
        self,
        read_body: Callable[[], Awaitable[bytes]],
        authorization: str | None,
        length: str | None,
        peer: str | None,
    ) -> Reply:
        """One chat completion: checks, request policy, upstream, response policy, audit.

        ``read_body`` reads the request body (raising :class:`TooLarge` past the
        size limit); it is called only once the key and the declared length passed.
        """
        config, guard, audit = self.config, self.config.guard, self.config.audit
        started = time.perf_counter()
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        client = self.client_of(authorization, peer)
        if client is None:
            return _error_reply(401, "missing or unknown API key", "authentication_error")
        too_large = f"request body over {config.max_body_bytes} bytes"
        if length is not None and length.isdigit() and int(length) > config.max_body_bytes:
            return _error_reply(413, too_large, "request_too_large")
        try:
            raw = await read_body()
        except TooLarge:
            return _error_reply(413, too_large, "request_too_large")
        if not self.limiter.allow(client):
            return _error_reply(429, "rate limit exceeded; retry later", "rate_limit_exceeded")
        try:
            body = json.loads(raw)
            messages = _check_messages(body)
        except (ValueError, json.JSONDecodeError) as ex:
            return _error_reply(400, str(ex), "invalid_request_error")
        stream = bool(body.get("stream"))
        params = {k: body.get(k) for k in ("max_tokens", "temperature", "top_p", "stop", "seed")}
        if body.get("max_completion_tokens") is not None and params["max_tokens"] is None:
            params["max_tokens"] = body["max_completion_tokens"]

        record = AuditRecord(
            request_id=request_id,
            bundle_digest=guard.digest,
            model=config.model_name,
            client=client,
            outcome="error",
            prompt=messages[-1]["content"] if config.store_text else None,
        )

        async def finish(status: int, outcome: str, reason: str, answer: str | None) -> str | None:
            """Commit the record; on failure return the fail-closed message."""
            record.outcome, record.reason, record.status_code = outcome, reason, status
            record.latency_ms = (time.perf_counter() - started) * 1000.0
            record.response = answer if config.store_text else None
            try:
                await audit.write_async(record)
            except AuditError as ex:
                log.error("request %s: audit write failed, failing closed: %s", request_id, ex)
                return "the audit log cannot be written, so no answer is released"
            log.info("request %s client=%s outcome=%s", request_id, client, outcome)
            if config.log_text:
                log.info("request %s text=%r answer=%r", request_id, messages[-1], answer)
            return None

        async def fail(status: int, kind: str, reason: str) -> Reply:
            failed = await finish(status, "error", reason, None)
            return _error_reply(503 if failed else status, failed or reason, kind, request_id)

        # 1. Request policy.
        try:
            incoming: Verdict = await guard.check_request_async(
                messages, config.grader_ask, limiter=self.checks
            )
        except PolicyError as ex:
            return await fail(503, "policy_error", f"request policy failed closed: {ex}")
        record.request_action = incoming.decision.action
        record.request_reasons = list(incoming.decision.reasons)
        record.features = {"request": incoming.audit_features()}
        record.escalated = incoming.decision.action == "escalate"

        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        if incoming.blocked:
            answer, finish_reason, outcome = incoming.refusal(), "content_filter", "deny"
            reason = "; ".join(incoming.decision.reasons)
        else:
            # 2. Upstream.
            upstream_messages = (
                _with_last_user(messages, incoming.text) if incoming.rewritten else messages
            )
            try:
                completion = await config.upstream.complete(upstream_messages, params)
            except UpstreamError as ex:
                return await fail(502, "upstream_error", str(ex))
            usage = {
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "total_tokens": completion.prompt_tokens + completion.completion_tokens,
            }
            # 3. Response policy.
            try:
                outgoing: Verdict = await guard.check_response_async(
                    upstream_messages,
                    completion.text,
                    incoming.features,
                    config.grader_ask,
                    limiter=self.checks,
                )
            except PolicyError as ex:
                return await fail(503, "policy_error", f"response policy failed closed: {ex}")
            record.response_action = outgoing.decision.action
            record.response_reasons = list(outgoing.decision.reasons)
            record.features["response"] = outgoing.audit_features()
            record.escalated = record.escalated or outgoing.decision.action == "escalate"
            actions = [incoming.decision.action, outgoing.decision.action]
            outcome = max(actions, key=lambda a: _ORDER[a])
            reason = "; ".join([*incoming.decision.reasons, *outgoing.decision.reasons])
            if outgoing.blocked:
                answer, finish_reason = outgoing.refusal(), "content_filter"
            else:
                answer, finish_reason = outgoing.text, "stop"

        # 4. Audit, committed before anything leaves.
        failed = await finish(200, outcome, reason, answer)
        if failed:
            return _error_reply(503, failed, "audit_unavailable", request_id)
        extra = {
            "outcome": outcome,
            "reasons": reason,
            "escalated": record.escalated,
            "bundle": guard.digest[:12],
        }
        headers = {"x-alignlab-request-id": request_id, "x-alignlab-outcome": outcome}
        if stream:
            events = _sse(request_id, config.model_name, answer, finish_reason)
            return Reply(200, {}, headers, events)
        return Reply(
            200,
            _completion_body(request_id, config.model_name, answer, finish_reason, usage, extra),
            headers,
        )


class _Disconnected(Exception):
    """The client went away before its request body arrived."""


async def _read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body from ``chunks``; raises :class:`TooLarge` past ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge
        parts.append(chunk)
    return b"".join(parts)


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


def create_app(config: ServeConfig) -> GuardedProxy:
    """The proxy's ASGI application (see :class:`GuardedProxy`)."""
    return GuardedProxy(config)
