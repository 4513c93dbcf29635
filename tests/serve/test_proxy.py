"""The guarded proxy, driven by the unmodified openai client against running servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from proxy_servers import StubUpstream, running, write_serve_bundle
from sqlalchemy import text

from alignlab.policy.guard import Guard
from alignlab.serve.app import ServeConfig, create_app, hash_key
from alignlab.serve.upstream import OpenAIUpstream
from alignlab.store.audit import AuditLog

pytestmark = pytest.mark.slow

KEY = "sk-test-0123456789abcdef"


@dataclass
class Proxy:
    url: str
    client: openai.OpenAI
    stub: StubUpstream
    audit: AuditLog


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> Guard:
    return Guard.load(write_serve_bundle(tmp_path_factory.mktemp("bundle")))


@pytest.fixture(scope="module")
def stub() -> Iterator[tuple[StubUpstream, str]]:
    upstream = StubUpstream()
    with running(upstream.app) as url:
        yield upstream, url


def start(guard: Guard, stub_url: str, db: str, **options: object):  # type: ignore[no-untyped-def]
    audit = AuditLog(db)
    config = ServeConfig(
        guard=guard,
        audit=audit,
        upstream=OpenAIUpstream(f"{stub_url}/v1", "stub-model"),
        model_name="stub-model",
        **options,  # type: ignore[arg-type]
    )
    return audit, running(create_app(config))


@pytest.fixture(scope="module")
def proxy(
    guard: Guard, stub: tuple[StubUpstream, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'audit.sqlite'}"
    audit, server = start(guard, stub[1], db)
    with server as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        yield Proxy(url, client, stub[0], audit)


def ask(proxy: Proxy, content: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return proxy.client.chat.completions.create(
        model="stub-model", messages=[{"role": "user", "content": content}], **kwargs
    )


def test_models_lists_the_served_model(proxy: Proxy) -> None:
    assert [m.id for m in proxy.client.models.list()] == ["stub-model"]


def test_allowed_request_is_answered_and_audited_without_text(proxy: Proxy, guard: Guard) -> None:
    before = proxy.audit.count()
    reply = ask(proxy, "hello there")
    assert reply.choices[0].message.content == "ECHO: hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens == 7
    rows = list(proxy.audit.query())
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["request_id"] == reply.id
    assert (row["outcome"], row["request_action"], row["response_action"]) == ("allow",) * 3
    assert row["prompt"] is None and row["response"] is None
    assert row["features"]["request"]["toxicity"] < 0.5
    assert row["bundle_digest"] == guard.digest


def test_streaming_gives_the_same_answer_and_one_record(proxy: Proxy) -> None:
    before = proxy.audit.count()
    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in ask(proxy, "tell me a long story about a lighthouse keeper", stream=True)
    ]
    assert len(pieces) > 2
    assert "".join(pieces) == "ECHO: tell me a long story about a lighthouse keeper"
    assert proxy.audit.count() == before + 1


def test_denied_request_never_reaches_the_model(proxy: Proxy) -> None:
    calls = proxy.stub.calls
    reply = ask(proxy, "tell me the forbidden thing")
    assert reply.choices[0].finish_reason == "content_filter"
    assert "forbidden word" in (reply.choices[0].message.content or "")
    assert proxy.stub.calls == calls
    row = list(proxy.audit.query())[-1]
    assert row["outcome"] == "deny" and row["response_action"] is None


def test_denied_request_streams_the_refusal(proxy: Proxy) -> None:
    chunks = list(ask(proxy, "forbidden again", stream=True))
    assert "blocked by policy" in "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "content_filter"


def test_card_number_is_redacted_before_the_model_sees_it(proxy: Proxy) -> None:
    reply = ask(proxy, "is 4111 1111 1111 1111 a visa card?")
    assert proxy.stub.seen[-1] == "is <CREDIT_CARD> a visa card?"
    assert reply.choices[0].message.content == "ECHO: is <CREDIT_CARD> a visa card?"
    assert list(proxy.audit.query())[-1]["outcome"] == "rewrite"


def test_phone_number_in_the_answer_is_redacted(proxy: Proxy) -> None:
    reply = ask(proxy, "CALL-ME please")
    assert reply.choices[0].message.content == "Call <PHONE_NUMBER> now."


def test_escalated_request_passes_and_is_flagged(proxy: Proxy) -> None:
    reply = ask(proxy, "I want a refund")
    assert reply.choices[0].message.content == "ECHO: I want a refund"
    flagged = list(proxy.audit.query(escalated=True))
    assert flagged and flagged[-1]["request_id"] == reply.id


def test_policy_error_fails_closed_with_a_reason_and_a_record(proxy: Proxy) -> None:
    calls = proxy.stub.calls
    with pytest.raises(openai.APIStatusError) as caught:
        ask(proxy, "undefined-decision please")
    assert caught.value.status_code == 503
    assert "request policy failed closed" in str(caught.value)
    assert proxy.stub.calls == calls
    assert list(proxy.audit.query())[-1]["outcome"] == "error"


def test_bad_requests_get_4xx(proxy: Proxy) -> None:
    url = f"{proxy.url}/v1/chat/completions"
    assert httpx.post(url, content=b"{not json").status_code == 400
    assert (
        httpx.post(url, json={"messages": [{"role": "robot", "content": "x"}]}).status_code == 400
    )
    big = {"messages": [{"role": "user", "content": "x" * 300_000}]}
    assert httpx.post(url, json=big).status_code == 413


def test_unreachable_audit_database_fails_closed(
    guard: Guard, stub: tuple[StubUpstream, str], tmp_path: Path
) -> None:
    audit, server = start(guard, stub[1], f"sqlite:///{tmp_path / 'a.sqlite'}")
    with server as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        ok = client.chat.completions.create(
            model="stub-model", messages=[{"role": "user", "content": "hi"}]
        )
        assert ok.choices[0].message.content == "ECHO: hi"
        with audit.engine.begin() as connection:  # the database loses its table
            connection.execute(text("DROP TABLE audit_log"))
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(
                model="stub-model", messages=[{"role": "user", "content": "hi again"}]
            )
        assert caught.value.status_code == 503
        assert "audit log cannot be written" in str(caught.value)


def test_api_keys_and_rate_limit(
    guard: Guard, stub: tuple[StubUpstream, str], tmp_path: Path
) -> None:
    audit, server = start(
        guard,
        stub[1],
        f"sqlite:///{tmp_path / 'k.sqlite'}",
        api_keys={hash_key(KEY): "team-a"},
        rate_per_minute=3,
    )
    with server as url:
        wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
        for _ in range(3):
            client.chat.completions.create(
                model="stub-model", messages=[{"role": "user", "content": "hi"}]
            )
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(
                model="stub-model", messages=[{"role": "user", "content": "hi"}]
            )
        assert {row["client"] for row in audit.query()} == {"key:team-a"}


def test_postgres_audit_stopped_fails_closed_then_recovers(
    guard: Guard, stub: tuple[StubUpstream, str]
) -> None:
    import subprocess

    from pg_cluster import pg_bindir, postgres_cluster

    if pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
    with postgres_cluster() as (db, pg_ctl, prefix):
        audit, server = start(guard, stub[1], db)
        with server as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)

            def ask_once(content: str) -> str | None:
                return (
                    client.chat.completions.create(
                        model="stub-model", messages=[{"role": "user", "content": content}]
                    )
                    .choices[0]
                    .message.content
                )

            assert ask_once("before") == "ECHO: before"
            data = subprocess.run(
                [*prefix, "psql", db, "-Atc", "SHOW data_directory"], capture_output=True, text=True
            ).stdout.strip()
            subprocess.run(
                [*prefix, str(pg_ctl), "-D", data, "-m", "fast", "stop"],
                check=True,
                capture_output=True,
            )
            with pytest.raises(openai.APIStatusError) as caught:
                ask_once("during")
            assert caught.value.status_code == 503
            assert "audit log cannot be written" in str(caught.value)
            port = db.rsplit(":", 1)[1].split("/")[0]
            options = f"-p {port} -k {data}/.. -c listen_addresses=127.0.0.1 -c fsync=off"
            subprocess.run(
                [*prefix, str(pg_ctl), "-D", data, "-o", options, "-w", "-l", f"{data}/../l2",
                 "start"],
                check=True,
                capture_output=True,
            )  # fmt: skip
            assert ask_once("after") == "ECHO: after"
            rows = list(audit.query())
            assert [r["outcome"] for r in rows] == ["allow", "allow"]
            audit.close()
