"""Benchmark: items/s over 1..4 endpoints, and the report and run index over 10,000 samples.

Run from the repository root (see bench/README.md, "Scale")::

    .venv/bin/python bench/bench_scale.py endpoints --items 32 --counts 1 2 4
    .venv/bin/python bench/bench_scale.py ray --items 8 --workers 1 2
    .venv/bin/python bench/bench_scale.py big --samples 10000

``endpoints``: starts N llama-cpp-python servers of the bundled model on
loopback and runs ETHICS commonsense (log-prob scoring) through
``--model-base-url URL1,...,URLN`` (the endpoint pool), once per N; prints
items/s and the scaling efficiency (items/s at N / (N x items/s at 1)).

``ray``: starts a local Ray with W CPUs for each W in ``--workers`` and runs
the four ETHICS subsets with a contrast structure (commonsense, justice,
deontology, virtue; ``--items`` each, log-prob scoring, the bundled model in
process) through ``--cluster`` (one Ray task per subset, so W run at once);
prints items/s and the scaling efficiency against W = 1.

``big``: writes one log of ``--samples`` ETHICS commonsense samples (a real
20-sample run's samples repeated under new ids), then times ``alignlab report``
and ``alignlab runs --add`` on it, each in a fresh child process (wall time
and peak RSS from ``os.wait4``). ``--src DIR`` runs the children on another
checkout's ``src`` (say the code before a change, for a before/after pair).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(model_path: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            model_path,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "smollm2",
            "--n_threads",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return proc, url
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.terminate()
                raise RuntimeError("llama_cpp.server did not start") from None
            time.sleep(0.3)


def endpoints(items: int, counts: list[int]) -> None:
    from alignlab.models.bundled import bundled_model_path
    from alignlab.runner import run_eval

    os.environ.setdefault("LLAMACPP_API_KEY", "not-needed")
    os.environ["ALIGNLAB_INDEX_URL"] = "off"
    servers = [_start_server(str(bundled_model_path())) for _ in range(max(counts))]
    rates: dict[int, float] = {}
    try:
        for n in counts:
            urls = ",".join(url for _, url in servers[:n])
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                outcome = run_eval(
                    model="openai-api/llamacpp/smollm2",
                    base_url=urls,
                    tasks=["ethics_commonsense"],
                    limit=items,
                    task_args={"scoring": "logprob"},
                    log_dir=tmp,
                    max_samples=4 * n,
                    display="none",
                )
                wall = time.perf_counter() - start
            assert outcome.success
            rates[n] = items / wall
            eff = rates[n] / (n * rates[counts[0]]) * counts[0]
            print(f"| {n} | {items} | {wall:.1f} | {rates[n]:.2f} | {eff:.2f} |", flush=True)
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)


RAY_TASKS = ("ethics_commonsense", "ethics_justice", "ethics_deontology", "ethics_virtue")


def ray_workers(items: int, workers: list[int]) -> None:
    import ray

    from alignlab.cluster import run_on_ray
    from alignlab.runner import task_specs

    os.environ["ALIGNLAB_INDEX_URL"] = "off"
    rates: dict[int, float] = {}
    for w in workers:
        ray.init(num_cpus=w, include_dashboard=False, log_to_driver=False)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                ok, files, _ = run_on_ray(
                    "auto",
                    task_specs(None, list(RAY_TASKS)),
                    {"limit": items, "task_args": {"scoring": "logprob"}},
                    Path(tmp),
                    print,
                )
                wall = time.perf_counter() - start
        finally:
            ray.shutdown()
        assert ok and len(files) == len(RAY_TASKS)
        total = items * len(RAY_TASKS)
        rates[w] = total / wall
        eff = rates[w] / (w * rates[workers[0]]) * workers[0]
        print(f"| {w} | {total} | {wall:.1f} | {rates[w]:.2f} | {eff:.2f} |", flush=True)


def _child(args: list[str], src: str | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of ``python -m
    alignlab.cli ARGS`` in a fresh process (``src``: the ``src`` folder to import alignlab
    from, default the installed one). CPU seconds do not count time the process waited for
    a core, so they are the figure to compare on a loaded machine."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alignlab.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def big(samples: int, src: str | None = None) -> None:
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log, write_eval_log
    from inspect_ai.model import ModelUsage, get_model

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from alignlab.benchmarks.ethics.tasks import ethics_commonsense
    from mock_outputs import top_logprob_output

    usage = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = get_model(
            "mockllm/model",
            custom_outputs=lambda *_: top_logprob_output({"Yes": -0.2, "No": -1.8}, usage),
        )
        [log] = inspect_eval(
            ethics_commonsense(limit=20), model=model, log_dir=str(root / "seed"), display="none"
        )
        full = read_eval_log(log.location)
        base = list(full.samples or [])
        copies = []
        for k in range(samples):
            s = base[k % len(base)]
            copies.append(s.model_copy(update={"id": f"{s.id}-{k}"}))
        full.samples = copies
        full.eval.dataset.sample_ids = [c.id for c in copies]
        full.eval.dataset.samples = samples
        assert full.results is not None
        full.results.total_samples = full.results.completed_samples = samples
        out = root / "big"
        out.mkdir()
        write_eval_log(full, str(out / Path(log.location).name))
        size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        env_url = f"sqlite:///{root / 'runs.db'}"
        report = _child(["report", str(out), "-o", str(root / "report.html")], src)
        index = _child(["runs", "--index", env_url, "--add", str(out), "--json"], src)
        for name, (wall, cpu, rss) in (("report", report), ("runs --add (index)", index)):
            print(f"| {name} | {samples} | {size:.1f} | {wall:.1f} | {cpu:.1f} | {rss:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    e = sub.add_parser("endpoints")
    e.add_argument("--items", type=int, default=32)
    e.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4])
    r = sub.add_parser("ray")
    r.add_argument("--items", type=int, default=8)
    r.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    b = sub.add_parser("big")
    b.add_argument("--samples", type=int, default=10_000)
    b.add_argument("--src", help="run the timed commands on this checkout's src folder")
    args = parser.parse_args()
    if args.what == "endpoints":
        print(
            "| endpoints | items | wall s | items/s | efficiency |\n| --- | --- | --- | --- | --- |"
        )
        endpoints(args.items, args.counts)
    elif args.what == "ray":
        print(
            "| Ray workers | items | wall s | items/s | efficiency |\n"
            "| --- | --- | --- | --- | --- |"
        )
        ray_workers(args.items, args.workers)
    else:
        print(
            "| command | samples | log MB | wall s | CPU s | peak RSS MB |\n"
            "| --- | --- | --- | --- | --- | --- |"
        )
        big(args.samples, args.src)


if __name__ == "__main__":
    main()
