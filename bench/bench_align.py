"""The alignment loop on the bundled model, timed: `alignlab align` on the `ethics-sft` example.

Usage: .venv/bin/python bench/bench_align.py [--out DIR] [--threads N]

Writes the example recipe into DIR (default: a new temporary folder), runs
`alignlab align` on it as one whole process and prints its wall time, peak RSS
(``os.wait4``, as bench_ethics.py), its CPU seconds (user + system: on a shared
machine, what a quiet one with the same threads would need is near CPU / threads),
the load average and the before/after table of its report.
Re-running with the same --out resumes (training from its last checkpoint,
evaluation from its logs), so a run's time is only comparable from scratch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--example", default="ethics-sft")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-align-"))
    out.mkdir(parents=True, exist_ok=True)
    recipe = out / f"{args.example}.yaml"
    cli = [sys.executable, "-m", "alignlab.cli", "align"]
    subprocess.run([*cli, "--example", args.example, "--to", str(recipe)], check=True)
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    start = time.perf_counter()
    process = subprocess.Popen([*cli, str(recipe)], env={**os.environ, "HF_HUB_OFFLINE": "1"})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"exit {os.waitstatus_to_exitcode(status)}; wall {wall:.0f} s; "
        f"CPU {usage.ru_utime + usage.ru_stime:.0f} s (user {usage.ru_utime:.0f}, "
        f"system {usage.ru_stime:.0f}); peak RSS {usage.ru_maxrss / 1024:.0f} MiB; "
        f"load average at the end {load} (started at {load_start})"
    )
    report = out / "runs" / args.example.replace(".yaml", "") / "report.md"
    if report.is_file():
        print(report.read_text())


if __name__ == "__main__":
    main()
