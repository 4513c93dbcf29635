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

import contextlib
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
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
    body: dict[str, Any] = {"error": {"message": message, "type": kind, "code": status}}
    if request_id:
        body["error"]["request_id"] = request_id
    return JSONResponse(body, status_code=status)


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


def create_app(config: ServeConfig) -> FastAPI:
    """The FastAPI application of the proxy."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await config.upstream.close()

    app = FastAPI(title="alignlab guarded proxy", docs_url=None, redoc_url=None, lifespan=lifespan)
    limiter = RateLimiter(config.rate_per_minute)
    guard, audit = config.guard, config.audit
    # At most as many policy checks at once as the guard has feature workers: the others
    # wait here, so a feature timeout measures scoring, not time spent in the queue.
    checks = anyio.CapacityLimiter(guard.workers)

    def client_of(request: Request) -> str | None:
        """The key name (keys configured) or the peer address; None for a bad or missing key."""
        if not config.api_keys:
            return f"addr:{request.client.host if request.client else 'unknown'}"
        header = request.headers.get("authorization", "")
        key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        digest = hash_key(key) if key else ""
        for known, name in config.api_keys.items():
            if digest and hmac.compare_digest(known, digest):
                return f"key:{name}"
        return None

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        if client_of(request) is None:
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
        started = time.perf_counter()
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        client = client_of(request)
        if client is None:
            return _error(401, "missing or unknown API key", "authentication_error")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > config.max_body_bytes:
            return _error(
                413, f"request body over {config.max_body_bytes} bytes", "request_too_large"
            )
        raw = await request.body()
        if len(raw) > config.max_body_bytes:
            return _error(
                413, f"request body over {config.max_body_bytes} bytes", "request_too_large"
            )
        if not limiter.allow(client):
            return _error(429, "rate limit exceeded; retry later", "rate_limit_exceeded")
        try:
            body = json.loads(raw)
            messages = _check_messages(body)
        except (ValueError, json.JSONDecodeError) as ex:
            return _error(400, str(ex), "invalid_request_error")
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

        async def fail(status: int, kind: str, reason: str) -> Response:
            failed = await finish(status, "error", reason, None)
            return _error(503 if failed else status, failed or reason, kind, request_id)

        # 1. Request policy.
        try:
            incoming: Verdict = await guard.check_request_async(
                messages, config.grader_ask, limiter=checks
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
                    limiter=checks,
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
            return _error(503, failed, "audit_unavailable", request_id)
        extra = {
            "outcome": outcome,
            "reasons": reason,
            "escalated": record.escalated,
            "bundle": guard.digest[:12],
        }
        headers = {"x-alignlab-request-id": request_id, "x-alignlab-outcome": outcome}
        if stream:
            return StreamingResponse(
                _sse(request_id, config.model_name, answer, finish_reason),
                media_type="text/event-stream",
                headers=headers,
            )
        return JSONResponse(
            _completion_body(request_id, config.model_name, answer, finish_reason, usage, extra),
            headers=headers,
        )

    # A plain Starlette route: the handler reads the request itself, so FastAPI's
    # per-request dependency solving and response validation are not needed.
    app.add_route("/v1/chat/completions", chat, methods=["POST"])
    return app
