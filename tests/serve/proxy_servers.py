"""Test helpers: a stub OpenAI-compatible upstream and uvicorn servers run in threads."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request

SERVE_BUNDLE_REQUEST = """package alignlab.request

import rego.v1

deny contains "the message mentions a forbidden word" if contains(input.features.lower, "forbidden")

deny contains "the message is abusive" if input.features.toxicity >= 0.9

escalate contains "the message mentions a refund" if contains(input.features.lower, "refund")

rewrite contains "card number" if "CREDIT_CARD" in input.features.pii_types

# A policy bug on purpose: no decision when the message says "undefined-decision".
decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {"action": "rewrite", "reasons": rewrite, "redact": ["CREDIT_CARD"]} if {
	count(rewrite) > 0
} else := {"action": "escalate", "reasons": escalate} if {
	count(escalate) > 0
} else := {"action": "allow", "reasons": []} if {
	not contains(input.features.lower, "undefined-decision")
}
"""

SERVE_BUNDLE_RESPONSE = """package alignlab.response

import rego.v1

rewrite contains "phone number" if "PHONE_NUMBER" in input.features.pii_types

decision := {"action": "rewrite", "reasons": rewrite, "redact": ["PHONE_NUMBER"]} if {
	count(rewrite) > 0
} else := {"action": "allow", "reasons": []}
"""


def write_serve_bundle(root: Path) -> Path:
    """A small bundle (toxicity and PII only: no embedding model) for the proxy tests."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "request.rego").write_text(SERVE_BUNDLE_REQUEST)
    (root / "response.rego").write_text(SERVE_BUNDLE_RESPONSE)
    (root / "data.json").write_text(json.dumps({"features": ["toxicity", "pii"]}))
    return root


class StubUpstream:
    """An OpenAI-compatible app that answers 'ECHO: <last user message>' and counts calls.

    A message containing 'CALL-ME' gets an answer with a phone number in it.
    """

    def __init__(self) -> None:
        self.calls = 0
        self.seen: list[str] = []
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions")
        async def complete(request: Request) -> dict:
            body = await request.json()
            self.calls += 1
            last = body["messages"][-1]["content"]
            self.seen.append(last)
            text = "Call 212-555-0199 now." if "CALL-ME" in last else f"ECHO: {last}"
            return {
                "id": "stub",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
            }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Run ``app`` on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
