"""The bundled model's weight encodings: cached re-encodings of the shipped Q4_1 file."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.errors import ModelError
from alignlab.models import bundled
from alignlab.models.bundled import (
    DEFAULT_WEIGHTS,
    bundled_model_path,
    bundled_weights,
    resolve_gguf,
)
from alignlab.models.llama_engine import get_engine

PROMPT = "I kept the wallet I found on the bus.\nQuestion: Is this wrong?\nAnswer:"


def _next_token_logprobs(path: Path) -> dict[int, float]:
    engine = get_engine(path)
    tokens = engine.tokenize(engine.render_chat([{"role": "user", "content": PROMPT}]))
    [top] = engine.next_token_logprobs([tokens], top_k=50)
    return dict(top)


def test_q4_1_is_the_shipped_file() -> None:
    assert bundled_weights("q4_1") == bundled_model_path()


def test_default_is_a_cached_re_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNLAB_CACHE_DIR", str(tmp_path))
    first = bundled_weights()
    assert first.is_relative_to(tmp_path) and DEFAULT_WEIGHTS.upper() in first.name
    stamp = first.stat().st_mtime_ns
    assert bundled_weights() == first and first.stat().st_mtime_ns == stamp  # not made again
    assert not list(first.parent.glob("*.part"))  # no partial file left behind
    assert resolve_gguf("smollm2") == first


def test_re_encoding_keeps_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The F16 copy predicts the same next token as the shipped file, log-probs within 0.5 nats."""
    monkeypatch.setenv("ALIGNLAB_CACHE_DIR", str(tmp_path))
    shipped = _next_token_logprobs(bundled_model_path())
    encoded = _next_token_logprobs(bundled_weights("f16"))
    assert max(shipped, key=shipped.__getitem__) == max(encoded, key=encoded.__getitem__)
    shared = [t for t in shipped if t in encoded][:10]
    assert len(shared) >= 5
    assert max(abs(shipped[t] - encoded[t]) for t in shared) < 0.5
    assert any(shipped[t] != encoded[t] for t in shared)  # really another encoding


def test_unknown_weights_name_what_exists() -> None:
    with pytest.raises(ModelError, match=r"Unknown weights 'q2'.*q4_1, f16, bf16, q8_0, f32"):
        bundled_weights("q2")


def test_weights_apply_to_the_bundled_model_only() -> None:
    with pytest.raises(ModelError, match="applies to the bundled model only"):
        resolve_gguf("/some/model.gguf", "f16")


def test_failed_conversion_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llama_cpp

    monkeypatch.setenv("ALIGNLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(llama_cpp, "llama_model_quantize", lambda *a: 1)
    with pytest.raises(ModelError, match="Could not re-encode.*-M weights=q4_1"):
        bundled_weights("q8_0")
    assert not list((tmp_path / "models").iterdir())


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALIGNLAB_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert bundled.cache_dir() == tmp_path / "alignlab"
