"""Benchmark: time and peak memory of ``alignlab report`` on log directories (see README.md).

Run from the repository root::

    .venv/bin/python bench/bench_report.py LOGDIR [LOGDIR ...]
    # compare source trees (each put first on PYTHONPATH), e.g. before and after a change:
    .venv/bin/python bench/bench_report.py --src OLD/src --src src LOGDIR ...

Every ``alignlab report LOGDIR -o <tmp>/report.html`` runs in a fresh child
process; wall time, CPU time (user + system) and peak RSS come from
``os.wait4`` on that child. Each figure is the median of ``--repeats`` runs;
the source trees take turns within a repeat, so a slow spell of a shared
machine hits them alike. With several log directories a last row measures
them all at once (their files linked into one temporary directory). Before
each run the script waits (up to ``--max-wait`` seconds) for a quiet
machine; a ``*`` marks figures measured while other processes used more
than ``--busy`` of a core on average. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_mb: float
    others_cores: float


def cpu_times() -> float:
    """Busy jiffies of the whole machine since boot."""
    with open("/proc/stat") as handle:
        values = [float(v) for v in handle.readline().split()[1:9]]
    return sum(values) - values[3] - values[4]


def machine_busy(seconds: float = 1.0) -> float:
    """Cores' worth of CPU in use over ``seconds``."""
    start = cpu_times()
    time.sleep(seconds)
    return (cpu_times() - start) / os.sysconf("SC_CLK_TCK") / seconds


def wait_quiet(threshold: float, max_wait: float) -> None:
    deadline = time.monotonic() + max_wait
    while machine_busy() > threshold and time.monotonic() < deadline:
        pass


def measure(src: Path, log_dir: Path, out: Path, settings: argparse.Namespace) -> Run:
    """One ``alignlab report`` in a fresh process with ``src`` first on the path."""
    wait_quiet(settings.busy, settings.max_wait)
    env = dict(os.environ, PYTHONPATH=str(src.resolve()), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "alignlab.cli", "report", str(log_dir), "-o", str(out)]
    busy0 = cpu_times()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(err.decode(errors="replace")[-4000:])
        raise RuntimeError(f"{' '.join(cmd)} (PYTHONPATH={src}) failed")
    child_cpu = usage.ru_utime + usage.ru_stime
    machine_cpu = (cpu_times() - busy0) / os.sysconf("SC_CLK_TCK")
    others = max(0.0, machine_cpu - child_cpu) / wall
    return Run(wall, child_cpu, usage.ru_maxrss / 1024, others)


def combined(log_dirs: list[Path], work: Path) -> Path:
    """One directory holding links to every log of ``log_dirs``."""
    root = work / "all"
    root.mkdir()
    for i, log_dir in enumerate(log_dirs):
        for path in sorted(log_dir.rglob("*.eval")):
            (root / f"{i}-{path.name}").symlink_to(path.resolve())
    return root


def cell(runs: list[Run], key: str, busy: float, digits: int) -> str:
    value = statistics.median(getattr(r, key) for r in runs)
    mark = "*" if statistics.median(r.others_cores for r in runs) > busy else ""
    return f"{value:.{digits}f}{mark}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log_dirs", nargs="+", type=Path)
    parser.add_argument("--src", action="append", type=Path, help="source tree (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", type=float, default=0.25, help="cores of others to mark")
    parser.add_argument("--max-wait", type=float, default=30.0, help="seconds to wait for quiet")
    parser.add_argument(
        "--no-together", action="store_true", help="skip the row of every log directory at once"
    )
    args = parser.parse_args()
    sources: list[Path] = args.src or [Path("src")]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average before: {load}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        targets = [(d.name, d) for d in args.log_dirs]
        if len(args.log_dirs) > 1 and not args.no_together:
            targets.append(("all together", combined(args.log_dirs, work)))
        header = ["logs", "files"]
        for src in sources:
            header += [f"{src} wall s", f"{src} CPU s", f"{src} peak MB"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for name, log_dir in targets:
            runs: dict[Path, list[Run]] = {src: [] for src in sources}
            for _ in range(args.repeats):
                for k, src in enumerate(sources):
                    runs[src].append(measure(src, log_dir, work / f"report-{k}.html", args))
            n_files = sum(1 for _ in log_dir.rglob("*.eval"))
            row = [name, str(n_files)]
            for src in sources:
                row += [
                    cell(runs[src], "wall_s", args.busy, 2),
                    cell(runs[src], "cpu_s", args.busy, 2),
                    cell(runs[src], "peak_mb", args.busy, 0),
                ]
            print("| " + " | ".join(row) + " |", flush=True)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average after: {load}")


if __name__ == "__main__":
    main()
