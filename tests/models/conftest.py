"""Fixtures shared by the torch scorer's tests: the bundled model's BF16 file and its vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.models.bundled import resolve_gguf
from alignlab.models.llama_engine import LlamaEngine, get_engine


@pytest.fixture(scope="module")
def path() -> Path:
    return resolve_gguf("smollm2", None)  # the cached BF16 re-encoding


@pytest.fixture(scope="module")
def text(path: Path) -> LlamaEngine:
    return get_engine(path, vocab_only=True)
