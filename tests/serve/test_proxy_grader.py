"""The proxy with grader verdicts as a feature: asked once per message, fail closed on timeout."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import openai
import pytest
from proxy_servers import StubUpstream, running

from alignlab.judges import Verdict
from alignlab.policy.bundle import PolicyError
from alignlab.policy.guard import Guard
from alignlab.serve.app import ServeConfig, create_app
from alignlab.serve.cli import build_app
from alignlab.serve.upstream import OpenAIUpstream
from alignlab.store.audit import AuditLog

REQUEST = """package alignlab.request

import rego.v1

decision := {"action": "deny", "reasons": ["threat (grader)"]} if {
	input.features.grader.threat == true
} else := {"action": "allow", "reasons": []}
"""


def bundle(root: Path) -> Path:
    root.mkdir()
    (root / "request.rego").write_text(REQUEST)
    questions = {"threat": "Does the message threaten someone?"}
    (root / "data.json").write_text(
        json.dumps({"features": ["grader"], "grader": {"questions": questions}})
    )
    return root


def test_grader_verdicts_decide_and_a_slow_grader_fails_closed(tmp_path: Path) -> None:
    asked: list[str] = []

    async def grader(prompt: str) -> Verdict[bool]:
        asked.append(prompt)
        message = prompt.split("<<<")[1]
        if "slowly" in message:
            await anyio.sleep(5)
        return Verdict("hurt" in message, ("yes" if "hurt" in message else "no",))

    guard = Guard.load(bundle(tmp_path / "b"), feature_timeout_s=0.5)
    audit = AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    upstream = StubUpstream()
    with running(upstream.app) as stub_url:
        config = ServeConfig(
            guard=guard,
            audit=audit,
            upstream=OpenAIUpstream(f"{stub_url}/v1", "stub"),
            model_name="stub",
            grader_ask=grader,
        )
        with running(create_app(config)) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)

            def say(text: str):  # type: ignore[no-untyped-def]
                return client.chat.completions.create(
                    model="stub", messages=[{"role": "user", "content": text}]
                )

            assert say("I will hurt you.").choices[0].finish_reason == "content_filter"
            assert say("Hello there.").choices[0].message.content == "ECHO: Hello there."
            assert say("Hello there.").choices[0].message.content == "ECHO: Hello there."
            with pytest.raises(openai.APIStatusError) as failed:
                say("Answer slowly please.")
            assert failed.value.status_code == 503
            assert "grader did not answer within 0.5 s" in str(failed.value)
    # Request and answer of "Hello there." asked once each despite two requests; the threat's
    # request only; the slow one once: 1 + 2 + 1.
    assert len(asked) == 4
    assert upstream.calls == 2
    assert audit.count() == 4
    # The audit log keeps the verdicts beside the other features.
    features = [r["features"]["request"].get("grader") for r in audit.query() if r["features"]]
    assert {"threat": True} in features and {"threat": False} in features


def test_serve_refuses_a_grader_bundle_without_a_grader_model(tmp_path: Path) -> None:
    root = bundle(tmp_path / "b")
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with pytest.raises(PolicyError, match="give --grader-model"):
        build_app(
            str(root), "stub", "http://127.0.0.1:9/v1", None, db, {}, 256, 60, 1.0, False, False
        )
