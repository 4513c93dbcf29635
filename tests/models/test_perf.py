"""Entry-point preloading: inspect-evals' registry stays unimported unless a task needs it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import inspect_evals  # noqa: F401 - a pinned dependency: missing, these tests must fail
import pytest

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from alignlab.models.perf import preload_entry_points
    needed = set(json.loads(sys.argv[1]))
    skipped = preload_entry_points(needed)
    from inspect_ai.model import get_model
    from inspect_ai._util.registry import registry_find
    # Inspect's own lookups no longer load anything on a miss...
    registry_find(lambda info: False)
    get_model("alignlab/smollm2")  # ...and our provider (an entry point) still resolves
    print(json.dumps({
        "skipped": skipped,
        "evals_loaded": "inspect_evals._registry" in sys.modules,
    }))
    """
)


def _run(needed: list[str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(needed)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_task_only_entry_points_are_skipped() -> None:
    result = _run([])
    assert result == {"skipped": ["inspect_evals"], "evals_loaded": False}


def test_needed_task_package_is_loaded() -> None:
    result = _run(["inspect_evals"])
    assert result == {"skipped": [], "evals_loaded": True}


def test_a_skipped_package_loads_when_a_later_run_needs_it() -> None:
    # One process: a run without inspect_evals tasks preloads and skips it; a later
    # lookup of inspect_evals/<task> must still find the task.
    script = textwrap.dedent(
        """
        import json, sys
        from alignlab.models.perf import load_entry_point, preload_entry_points
        from inspect_ai._util.registry import registry_lookup
        preload_entry_points(set())
        before = registry_lookup("task", "inspect_evals/gsm8k") is not None
        load_entry_point("inspect_evals")
        after = registry_lookup("task", "inspect_evals/gsm8k") is not None
        print(json.dumps({"before": before, "after": after}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"before": False, "after": True}


def test_control_server_off_unless_the_user_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inspect's control server (FastAPI) is off by default and left to Inspect when asked for."""
    from alignlab.models.perf import CTL_SERVER_ENV, LIVE_EVENTS_ENV, eval_set_defaults

    monkeypatch.delenv(CTL_SERVER_ENV, raising=False)
    monkeypatch.delenv(LIVE_EVENTS_ENV, raising=False)
    assert eval_set_defaults(compact=False) == {"ctl_server": False, "log_realtime": False}
    monkeypatch.setenv(CTL_SERVER_ENV, "true")
    assert eval_set_defaults(compact=False) == {"log_realtime": False}


def test_live_events_and_metrics_display(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live event streaming is opt-in; live metrics are off only under alignlab's progress line."""
    from alignlab.models.perf import CTL_SERVER_ENV, LIVE_EVENTS_ENV, eval_set_defaults

    monkeypatch.setenv(CTL_SERVER_ENV, "true")
    monkeypatch.setenv(LIVE_EVENTS_ENV, "1")
    assert eval_set_defaults(compact=False) == {}
    assert eval_set_defaults(compact=True) == {"score_display": False}
    monkeypatch.setenv(LIVE_EVENTS_ENV, "0")
    assert eval_set_defaults(compact=True) == {"log_realtime": False, "score_display": False}


def test_log_compression_on_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Inspect's zstd log members are compressed without a thread pool; logs still read back."""
    import zipfile

    from inspect_ai._util import zipfile as inspect_zip
    from inspect_ai._util.zipfile import zipfile_compress_kwargs

    from alignlab.errors import AlignlabError
    from alignlab.models.perf import ZSTD_THREADS_ENV, log_compression_threads

    monkeypatch.setattr(inspect_zip, "_ZSTD_THREADS", 12)
    monkeypatch.delenv(ZSTD_THREADS_ENV, raising=False)
    assert log_compression_threads() == 0
    assert inspect_zip._ZSTD_THREADS == 0
    path = tmp_path / "log.zip"
    text = '{"sample": "' + "values " * 3000 + '"}'
    with zipfile.ZipFile(path, "w", **zipfile_compress_kwargs) as zf:
        zf.writestr("samples/1.json", text)
    with zipfile.ZipFile(path) as zf:
        assert zf.read("samples/1.json").decode() == text
        assert zf.getinfo("samples/1.json").compress_size < len(text) // 10
    monkeypatch.setenv(ZSTD_THREADS_ENV, "4")
    assert log_compression_threads() == 4 and inspect_zip._ZSTD_THREADS == 4
    monkeypatch.setenv(ZSTD_THREADS_ENV, "many")
    with pytest.raises(AlignlabError, match="ALIGNLAB_LOG_ZSTD_THREADS='many'"):
        log_compression_threads()
