"""Tests for alignlab.models.pool: one model's samples spread over OpenAI-compatible servers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alignlab.models.pool import route, split_urls


def test_route_makes_a_pool_only_for_several_urls() -> None:
    args: dict[str, Any] = {}
    assert route("openai-api/x/m", "http://a/v1", args) == ("openai-api/x/m", "http://a/v1")
    assert args == {}
    assert route("openai-api/x/m", " http://a/v1, http://b/v1 ,", args) == (
        "alignlab-pool/openai-api/x/m",
        None,
    )
    assert args == {"base_urls": "http://a/v1,http://b/v1"}
    assert split_urls(None) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fake_openai(hits: list[int], index: int) -> Any:
    """A minimal OpenAI-compatible chat server answering "yes" after a short delay."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(body: dict[str, Any]) -> dict[str, Any]:
        hits[index] += 1
        await asyncio.sleep(0.05)  # a busy replica: concurrent requests overlap
        return {
            "id": f"c{hits[index]}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "toy"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "yes"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        }

    return app


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[list[str], list[int]]]:
    import uvicorn

    hits = [0, 0]
    running = []
    urls = []
    for i in range(2):
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(_fake_openai(hits, i), host="127.0.0.1", port=port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        urls.append(f"http://127.0.0.1:{port}/v1")
    deadline = time.time() + 30
    while not all(s.started for s, _ in running):
        assert time.time() < deadline, "fake servers did not start"
        time.sleep(0.05)
    yield urls, hits
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_samples_spread_over_the_endpoints(
    servers: tuple[list[str], list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspect_ai.log import read_eval_log

    from alignlab.runner import run_eval

    urls, hits = servers
    monkeypatch.setenv("FAKE_API_KEY", "not-needed")
    outcome = run_eval(
        model="openai-api/fake/toy",
        base_url=",".join(urls),
        tasks=["ethics_commonsense"],
        limit=12,
        task_args={"scoring": "generate"},
        log_dir=tmp_path,
        max_samples=4,
        display="none",
    )
    assert outcome.success
    log = read_eval_log(outcome.log_files[0])
    assert log.eval.model == "alignlab-pool/openai-api/fake/toy"
    assert len(log.samples or []) == 12
    # Both replicas served a fair share of the 12 answers.
    assert sum(hits) >= 12 and min(hits) >= 3, hits
    endpoints = {s.output.metadata["endpoint"] for s in log.samples or []}
    assert endpoints == set(urls)
    # The report names the model, not the pool.
    from alignlab.report.logs import load_logs

    assert {r.model for r in load_logs(tmp_path).runs} == {"openai-api/fake/toy"}


def test_an_unreachable_endpoint_of_a_pool_fails_fast(tmp_path: Path) -> None:
    from alignlab.errors import ModelError
    from alignlab.runner import load_model

    port = _free_port()
    with pytest.raises(
        ModelError, match=r"Cannot reach the model server at http://127\.0\.0\.1:1/"
    ):
        load_model("openai-api/fake/toy", f"http://127.0.0.1:1/v1,http://127.0.0.1:{port}/v1", {})
