"""Re-running a finished run answers from the stored record, without importing Inspect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli_runs import alignlab

# Runs the CLI in this process, then reports which heavy modules it imported.
_WRAPPER = """
import sys
from alignlab.cli import main
sys.argv = ["alignlab", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as ex:
    code = ex.code or 0
heavy = sorted(m for m in ("inspect_ai", "llama_cpp", "numpy") if m in sys.modules)
print("HEAVY:", ",".join(heavy))
sys.exit(code)
"""


def _args(log_dir: Path) -> list[str]:
    return [
        "eval",
        "--task",
        "ethics_commonsense",
        "--limit",
        "2",
        "--log-dir",
        str(log_dir),
        "--display",
        "none",
    ]


def test_second_run_replays_the_summary_without_inspect(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    first = alignlab(*_args(log_dir), timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "already complete" not in first.stdout
    assert "ethics" in first.stdout and "Report:" in first.stdout

    second = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *_args(log_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr[-2000:]
    *replayed, complete, heavy = second.stdout.splitlines()
    assert heavy == "HEAVY: ", second.stdout
    assert complete.startswith("Run already complete in ") and str(log_dir.resolve()) in complete
    assert replayed == first.stdout.splitlines()
    assert "Traceback" not in second.stderr
