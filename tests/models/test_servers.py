"""Server-backed model strings fail before anything runs when nothing listens at their URL."""

from __future__ import annotations

import pytest

from alignlab.errors import ModelError
from alignlab.runner import load_model, server_url


def test_vllm_base_url_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_BASE_URL", "http://127.0.0.1:9/v1")
    assert server_url("vllm/Qwen/Qwen2.5-0.5B-Instruct", None) == "http://127.0.0.1:9/v1"
    with pytest.raises(ModelError, match="Cannot reach the model server at http://127.0.0.1:9"):
        load_model("vllm/Qwen/Qwen2.5-0.5B-Instruct", None, {})


def test_vllm_without_url_is_left_to_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    assert server_url("vllm/Qwen/Qwen2.5-0.5B-Instruct", None) is None


def test_ollama_default_url_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ModelError, match="Cannot reach the model server"):
        load_model("ollama/llama3.1:8b", None, {})


def test_vllm_without_url_or_vllm_fails_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed: Inspect would start a server")
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    with pytest.raises(ModelError, match="vllm") as failed:
        load_model("vllm/Qwen/Qwen2.5-0.5B-Instruct", None, {})
    assert "\n" not in str(failed.value).strip()
