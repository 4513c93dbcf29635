"""Running the ``alignlab`` command line in a subprocess, shared by the tests.

Tests import it as ``cli_runs`` (``tests/`` is on ``sys.path``, see ``mock_outputs``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def alignlab(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``python -m alignlab.cli ARGS`` with this interpreter; stdout and stderr as text."""
    return subprocess.run(
        [sys.executable, "-m", "alignlab.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def alignlab_eval(
    task: str, log_dir: Path, *args: str, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """``alignlab eval --task TASK ARGS --log-dir LOG_DIR`` (see :func:`alignlab`)."""
    return alignlab("eval", "--task", task, *args, "--log-dir", str(log_dir), timeout=timeout)
