"""A run killed with SIGKILL finishes on re-run without repeating or losing samples.

The run uses a stand-in model that answers the first ``GATE`` requests and then
blocks until the process dies, so the test kills it once its log holds finished
samples, however fast or slow the machine is: nothing here waits on the clock
(the deadlines only end a test that hangs).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from inspect_ai.log import read_eval_log

N_ITEMS = 24
GATE = 8  # requests answered before the model blocks; fewer than N_ITEMS

# `alignlab eval` with a "gated" model provider registered first. With GATE_OPEN=n the
# model answers n requests and then never returns; without it, it answers every request.
GATED_CLI = textwrap.dedent(
    """
    import asyncio, os, sys
    from inspect_ai.model import ModelAPI, ModelOutput, modelapi

    OPEN = int(os.environ.get("GATE_OPEN", "0"))
    calls = 0

    class Gated(ModelAPI):
        async def generate(self, input, tools, tool_choice, config):
            global calls
            calls += 1
            if OPEN and calls > OPEN:
                await asyncio.Event().wait()
            return ModelOutput.from_content(model=self.model_name, content="Not wrong")

    @modelapi(name="gated")
    def gated():
        return Gated

    from alignlab.cli import main
    main()
    """
)


def _command(log_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        GATED_CLI,
        "eval",
        "--model",
        "gated/model",
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


def test_kill_minus_nine_then_resume(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    env = {**os.environ, "GATE_OPEN": str(GATE)}
    proc = subprocess.Popen(_command(log_dir), start_new_session=True, env=env)
    deadline = time.monotonic() + 240
    try:
        # Wait for the log to hold finished samples; the gated run cannot finish meanwhile.
        while proc.poll() is None and time.monotonic() < deadline:
            logs = _logs(log_dir)
            if logs and _sample_count(logs[0]) > 0:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the gated run ended by itself"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = read_eval_log(str(_logs(log_dir)[0]))
    assert killed.status == "started"
    done_before = {s.id: s.uuid for s in killed.samples or []}
    assert 0 < len(done_before) <= GATE

    env.pop("GATE_OPEN")
    rerun = subprocess.run(_command(log_dir), capture_output=True, text=True, timeout=300, env=env)
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
