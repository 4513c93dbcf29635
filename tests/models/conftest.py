"""Fixtures shared by the torch scorer's tests: the bundled model's BF16 file and its vocabulary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alignlab.models.bundled import resolve_gguf
from alignlab.models.llama_engine import LlamaEngine, get_engine

# one in-process torch scorer for the whole session: loading is not free
_SCORERS: dict[Path, Any] = {}


@pytest.fixture(scope="module")
def path() -> Path:
    return resolve_gguf("smollm2", None)  # the cached BF16 re-encoding


@pytest.fixture(scope="module")
def text(path: Path) -> LlamaEngine:
    return get_engine(path, vocab_only=True)


@pytest.fixture(scope="module")
def scorer(path: Path) -> Any:
    """The in-process torch scorer, one worker (needs torch: modules using it skip without)."""
    from alignlab.models.torch_engine import TorchScorer

    if path not in _SCORERS:
        _SCORERS[path] = TorchScorer(path, workers=1)
    return _SCORERS[path]


@pytest.fixture(scope="module")
def prompts(request: pytest.FixtureRequest, text: LlamaEngine) -> list[list[int]]:
    """The module's ``SCENARIOS``, each asked as one user turn through the chat template."""
    return [
        text.tokenize(text.render_chat([{"role": "user", "content": f"{s}\nIs this wrong?"}]))
        for s in request.module.SCENARIOS
    ]
