"""A stand-in for ``alignlab.runner`` so CLI tests run without Inspect or a model.

Tests import it as ``fake_runner`` (``tests/`` is on ``sys.path``, see
``mock_outputs``). Each ``run_eval`` call is recorded with its keyword
arguments and leaves one ``.eval`` file and an ``eval-set.json`` behind, as a
finished eval set would; a ``judge=grader`` run without a bound grader is
warned about through the CLI's ``warn`` callback, as the real runner does.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest


class FakeRunner:
    """Records calls; ``success`` and ``error`` set what the next runs return or raise."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.success = True
        self.error: BaseException | None = None

    def run_eval(self, *, log_dir: Path | None = None, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        assert log_dir is not None
        if kwargs["task_args"].get("judge") == "grader" and not kwargs["model_roles"]:
            kwargs["warn"]("no grader here")
        n = len(self.calls)
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / f"2026-01-01T00-00-0{n}-00-00_t_{n}.eval").write_bytes(b"l")
        (log_dir / "eval-set.json").write_text(str(n))
        return types.SimpleNamespace(
            success=self.success, log_dir=log_dir, log_files=[], skipped=[]
        )


def install(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    """Put a fresh fake in place of ``alignlab.runner``, with the fast path enabled."""
    fake = FakeRunner()
    module = types.ModuleType("alignlab.runner")
    module.run_eval = fake.run_eval  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alignlab.runner", module)
    monkeypatch.delenv("ALIGNLAB_NO_FAST_PATH", raising=False)
    return fake
