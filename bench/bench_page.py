"""Report page length and `alignlab report` time per log folder (issue 17).

For each log folder: the wall and CPU time of `alignlab report DIR -o OUT` (a fresh
process, median of --repeat runs), and the height of the page in Debian's chromium
(Selenium, headless) at 1400 px wide: document.documentElement.scrollHeight, with
every family part (<details>) as the page opens it and, second, with all opened.

    python bench/bench_page.py /tmp/logs/judgment /tmp/logs/pluralism --src src --out /tmp/pages

--src picks the alignlab source tree to time (e.g. an exported older commit's src/), so
before and after run on the same logs. Timings are noisy on a shared machine: state the
load (printed) beside any figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

WIDTH = 1400


def report_once(log_dir: Path, out: Path, src: Path) -> tuple[float, float]:
    """Wall and CPU (user + sys, children) seconds of one `alignlab report` process."""
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "alignlab.cli", "report", str(log_dir), "-o", str(out)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def page_heights(page: Path) -> tuple[int, int]:
    """Page height in px at WIDTH wide: as opened, and with every <details> open."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.get(page.resolve().as_uri())
        closed = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        opened = int(driver.execute_script("return document.documentElement.scrollHeight"))
    finally:
        driver.quit()
    return closed, opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log_dirs", nargs="+", type=Path)
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--out", type=Path, default=Path("build/bench-page"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for log_dir in args.log_dirs:
        out = args.out / f"{log_dir.name}{('-' + args.label) if args.label else ''}.html"
        runs = [report_once(log_dir, out, args.src) for _ in range(args.repeat)]
        closed, opened = page_heights(out)
        load = os.getloadavg()
        print(
            f"{args.label or args.src} {log_dir.name}: report wall "
            f"{statistics.median(w for w, _ in runs):.1f} s, cpu "
            f"{statistics.median(c for _, c in runs):.1f} s (median of {len(runs)}); page "
            f"{closed} px as opened, {opened} px all parts open, {out.stat().st_size // 1024} KB; "
            f"load {load[0]:.1f} {load[1]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
