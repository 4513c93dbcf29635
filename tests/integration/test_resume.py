"""A run killed with SIGKILL finishes on re-run without repeating or losing samples."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

N_ITEMS = 24


def _command(log_dir: Path) -> list[str]:
    # Generation scoring is slow enough (about a second an item) to kill mid-run.
    return [
        sys.executable,
        "-m",
        "alignlab.cli",
        "eval",
        "--task",
        "ethics_commonsense",
        "--limit",
        str(N_ITEMS),
        "--scoring",
        "generate",
        "--log-dir",
        str(log_dir),
        "--display",
        "none",
        "--no-report",
    ]


def _logs(log_dir: Path) -> list[Path]:
    return sorted(log_dir.glob("*.eval"))


def _sample_count(path: Path) -> int:
    try:
        return len(read_eval_log(str(path)).samples or [])
    except Exception:  # the file is being rewritten
        return 0


@pytest.mark.slow
def test_kill_minus_nine_then_resume(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    proc = subprocess.Popen(_command(log_dir), start_new_session=True)
    deadline = time.time() + 240
    flushed = 0
    while time.time() < deadline and proc.poll() is None:
        logs = _logs(log_dir)
        flushed = _sample_count(logs[0]) if logs else 0
        if flushed >= 5:
            break
        time.sleep(0.3)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = read_eval_log(str(_logs(log_dir)[0]))
    assert killed.status == "started"
    done_before = {s.id: s.uuid for s in killed.samples or []}
    assert 0 < len(done_before) < N_ITEMS

    rerun = subprocess.run(_command(log_dir), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    finished = [read_eval_log(str(p)) for p in _logs(log_dir)]
    success = [log for log in finished if log.status == "success"]
    assert len(success) == 1
    samples = success[0].samples or []
    ids = [s.id for s in samples]
    assert len(ids) == N_ITEMS and len(set(ids)) == N_ITEMS
    # Samples finished before the kill were carried over, not run again.
    uuids = {s.id: s.uuid for s in samples}
    assert all(uuids[i] == u for i, u in done_before.items())
