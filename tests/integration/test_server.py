"""A real OpenAI-compatible server on loopback (llama-cpp-python's) driven through openai-api/."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alignlab.benchmarks.ethics.analysis import results as ethics_results
from alignlab.models.bundled import bundled_model_path
from alignlab.report.logs import load_logs
from mock_runs import run_commonsense


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(bundled_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "smollm2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("llama_cpp.server did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("scoring", ["auto", "generate"])
def test_task_through_openai_compatible_server(
    server_url: str, scoring: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLAMACPP_API_KEY", "not-needed")
    log = run_commonsense("openai-api/llamacpp/smollm2", tmp_path, scoring, base_url=server_url)
    assert log.eval.model == "openai-api/llamacpp/smollm2"
    methods = {s.scores["forced_choice_scorer"].metadata["method"] for s in log.samples or []}
    # llama-cpp-python's server returns top log-probabilities, so auto uses them.
    assert methods == ({"logprob"} if scoring == "auto" else {"generate"})
    usage = log.stats.model_usage["openai-api/llamacpp/smollm2"]
    assert usage.input_tokens > 0
    results = ethics_results(load_logs(tmp_path).of_family("ethics"))
    assert {r.subset for r in results} == {"commonsense"}
