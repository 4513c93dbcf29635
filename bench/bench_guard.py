"""The guarded proxy's own cost: added latency over a direct upstream call, and load.

Starts, as child processes on loopback: a stub OpenAI-compatible upstream
(answers at once) and ``alignlab serve`` in front of it with a policy bundle
(default: the bundled 20-rule ``general`` bundle with its default features:
toxicity, PII, MiniLM topic similarity). Then:

1. sequential latency: N requests straight to the stub, N through the proxy,
   every message distinct (so the feature cache never answers); the added
   latency is the difference of the two distributions' percentiles;
2. load: C concurrent clients for S seconds through the proxy; requests per
   second, status counts, and the audit log's row count against the client's
   count of answered requests (no lost records).

Usage: ``python bench/bench_guard.py [--n 200] [--clients 50] [--seconds 20]
[--bundle general] [--db URL] [--workers 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def stub_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict:
        body = await request.json()
        text = "Here is a short, harmless answer to your question."
        return {
            "id": "stub",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "stub"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 8, "completion_tokens": 10, "total_tokens": 18},
        }

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({process.returncode})")
        try:
            httpx.post(url, json={"messages": [{"role": "user", "content": "ping"}]}, timeout=30)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not start")


def message(i: int) -> dict:
    return {
        "model": "stub",
        "messages": [
            {"role": "user", "content": f"Question {i}: what is a good name for a cat called {i}?"}
        ],
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def sequential(url: str, n: int, offset: int) -> list[float]:
    out = []
    with httpx.Client(timeout=60) as client:
        for i in range(n):
            started = time.perf_counter()
            reply = client.post(url, json=message(offset + i))
            out.append((time.perf_counter() - started) * 1000.0)
            reply.raise_for_status()
    return out


async def load(url: str, clients: int, seconds: float) -> dict:
    statuses: dict[int, int] = {}
    answered = 0
    ids: list[str] = []
    stop = time.monotonic() + seconds
    counter = iter(range(10_000_000, 20_000_000))

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal answered
        while time.monotonic() < stop:
            try:
                reply = await client.post(url, json=message(next(counter)))
            except httpx.HTTPError:
                statuses[-1] = statuses.get(-1, 0) + 1
                continue
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code == 200:
                answered += 1
                ids.append(reply.json()["id"])

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"statuses": statuses, "answered": answered, "seconds": elapsed, "ids": ids}


async def load_raw(url: str, clients: int, seconds: float) -> dict:
    """:func:`load` with a minimal HTTP/1.1 keep-alive client on asyncio streams.

    httpx costs the load generator 2-4 ms of CPU per request, which on a
    2-core machine shared with the proxy is a large part of the budget; this
    client costs a fraction of that. It counts the same things.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    statuses: dict[int, int] = {}
    ids: list[str] = []
    stop = time.monotonic() + seconds
    counter = iter(range(10_000_000, 20_000_000))

    async def client_loop() -> None:
        reader = writer = None
        while time.monotonic() < stop:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                body = json.dumps(message(next(counter))).encode()
                writer.write(
                    f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json"
                    f"\r\ncontent-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                length = next(
                    int(line.split(":", 1)[1])
                    for line in lines[1:]
                    if line.lower().startswith("content-length:")
                )
                payload = await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError):
                statuses[-1] = statuses.get(-1, 0) + 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                ids.append(json.loads(payload)["id"])
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"statuses": statuses, "answered": len(ids), "seconds": elapsed, "ids": ids}


def profile(bundle: str, n: int) -> None:
    """In-process cost of each step of a guard check (features one by one, then Rego)."""
    from alignlab.policy import resolve_bundle
    from alignlab.policy.features import pii, toxicity
    from alignlab.policy.guard import Guard
    from alignlab.serve.cli import single_threaded_kernels

    single_threaded_kernels()  # as alignlab serve does
    guard = Guard.load(resolve_bundle(bundle))
    texts = [message(5000 + i)["messages"][0]["content"] for i in range(n)]
    steps: dict[str, list[float]] = {"toxicity": [], "pii": [], "all features (uncached)": []}
    steps["request policy (Rego only)"] = []
    for text in texts:
        for name, run in (
            ("toxicity", lambda t=text: toxicity([t])),
            ("pii", lambda t=text: pii(t)),
        ):
            started = time.perf_counter()
            run()
            steps[name].append((time.perf_counter() - started) * 1000.0)
        started = time.perf_counter()
        features = guard.extractor._compute(text)
        steps["all features (uncached)"].append((time.perf_counter() - started) * 1000.0)
        document = {"stage": "request", "text": text, "messages": [], "features": features}
        started = time.perf_counter()
        guard.bundle.decide("request", document)
        steps["request policy (Rego only)"].append((time.perf_counter() - started) * 1000.0)
    print(f"in-process steps, {n} messages, features {', '.join(guard.extractor.enabled)}")
    print("| step | p50 ms | p99 ms |")
    print("| --- | --- | --- |")
    for name, values in steps.items():
        print(f"| {name} | {percentile(values, 0.5):.2f} | {percentile(values, 0.99):.2f} |")


WORKERS = 1
# serve --rate (requests a minute per client and process). All the load comes from one
# address, and the default (6000) would cap 60 s of it at 400 req/s on 2 processes, so
# the bench lifts it: it measures the guard, not the rate limiter.
RATE = 1_000_000


def serve_process(bundle: str, stub_port: int, db: str, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable, "-m", "alignlab.cli", "serve", "--policy", bundle,
            "--model", "stub", "--upstream", f"http://127.0.0.1:{stub_port}/v1",
            "--db", db, "--port", str(port), "--workers", str(WORKERS), "--rate", str(RATE),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_test(proxy, url, db, args, env, stub_port, port, bundle):  # type: ignore[no-untyped-def]
    """Load, kill -9 the proxy halfway, restart it: every answered request must be in the log."""
    import signal
    import threading

    from sqlalchemy import select

    from alignlab.store.audit import AuditLog, audit_log

    timer = threading.Timer(args.seconds / 2, lambda: os.kill(proxy.pid, signal.SIGKILL))
    timer.start()
    result = asyncio.run(load(url, args.clients, args.seconds))
    timer.join()
    proxy.wait()
    audit = AuditLog(db)
    with audit.engine.connect() as connection:
        logged = set(connection.execute(select(audit_log.c.request_id)).scalars())
    missing = [i for i in result["ids"] if i not in logged]
    print(
        f"\nkill -9 halfway through {args.seconds:.0f} s of load: answered {result['answered']}, "
        f"statuses {result['statuses']}; answered but not in the audit log: {len(missing)}"
    )
    proxy = serve_process(bundle, stub_port, db, port, env)
    wait_ready(url, proxy)
    print("restarted: answers again" if httpx.post(url, json=message(1)).status_code == 200 else "")
    return proxy


def main() -> None:
    global WORKERS, RATE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bundle", default="general")
    parser.add_argument("--db", default=None)
    parser.add_argument(
        "--features",
        default=None,
        help="comma list overriding the bundle's features, e.g. toxicity,pii",
    )
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="alignlab serve --workers")
    parser.add_argument("--rate", type=int, default=RATE, help="alignlab serve --rate")
    parser.add_argument(
        "--client",
        choices=("httpx", "raw"),
        default="httpx",
        help="load generator: httpx.AsyncClient, or a minimal asyncio HTTP/1.1 client",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="audit log in a throwaway PostgreSQL cluster (tests/pg_cluster.py: fsync off)",
    )
    parser.add_argument(
        "--kill", action="store_true", help="also kill -9 the proxy mid-load and check the log"
    )
    args = parser.parse_args()
    WORKERS, RATE = args.workers, args.rate
    if args.postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_cluster import postgres_cluster

        with postgres_cluster() as (url, _pg_ctl, _prefix):
            print(f"audit database: a throwaway PostgreSQL cluster ({url})")
            args.db = url
            run(args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:

    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{os.environ.get('PYTHONPATH', '')}"}
    env["HF_HUB_OFFLINE"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="bench-guard-"))
    bundle = args.bundle
    if args.features is not None:
        import shutil

        from alignlab.policy import resolve_bundle

        copy = tmp / "bundle"
        shutil.copytree(resolve_bundle(bundle), copy)
        data = json.loads((copy / "data.json").read_text())
        data["features"] = [f for f in args.features.split(",") if f]
        (copy / "data.json").write_text(json.dumps(data))
        bundle = str(copy)
    profile(bundle, args.n)
    db = args.db or f"sqlite:///{tmp / 'audit.sqlite'}"
    stub_port, proxy_port = free_port(), free_port()
    stub = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, uvicorn; sys.path.insert(0, sys.argv[1]); import bench_guard; "
            "uvicorn.run(bench_guard.stub_app(), host='127.0.0.1', port=int(sys.argv[2]), "
            "log_level='warning', access_log=False)",
            str(ROOT / "bench"), str(stub_port),
        ],
        env=env,
    )  # fmt: skip
    proxy = serve_process(bundle, stub_port, db, proxy_port, env)
    direct_url = f"http://127.0.0.1:{stub_port}/v1/chat/completions"
    proxy_url = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
    try:
        wait_ready(direct_url, stub)
        started = time.perf_counter()
        wait_ready(proxy_url, proxy)
        print(f"proxy ready after {time.perf_counter() - started:.1f} s (bundle {args.bundle})")
        sequential(direct_url, 20, 0)  # warm both paths
        sequential(proxy_url, 20, 100)
        direct = sequential(direct_url, args.n, 1000)
        guarded = sequential(proxy_url, args.n, 2000)
        print(f"\nsequential, {args.n} distinct messages each")
        print("| path | p50 ms | p99 ms | mean ms |")
        print("| --- | --- | --- | --- |")
        for name, values in (("direct to stub", direct), ("through the proxy", guarded)):
            print(
                f"| {name} | {percentile(values, 0.5):.2f} | {percentile(values, 0.99):.2f} "
                f"| {statistics.mean(values):.2f} |"
            )
        print(
            f"| added by the guard | {percentile(guarded, 0.5) - percentile(direct, 0.5):.2f} "
            f"| {percentile(guarded, 0.99) - percentile(direct, 0.99):.2f} "
            f"| {statistics.mean(guarded) - statistics.mean(direct):.2f} |"
        )
        if args.skip_load:
            return
        from alignlab.store.audit import AuditLog

        audit = AuditLog(db)
        before = audit.count()
        loader = load_raw if args.client == "raw" else load
        result = asyncio.run(loader(proxy_url, args.clients, args.seconds))
        after = audit.count()
        rate = result["answered"] / result["seconds"]
        print(f"\nload: {args.clients} clients ({args.client}) for {result['seconds']:.1f} s")
        print(f"answered {result['answered']} ({rate:.1f} req/s); statuses {result['statuses']}")
        print(
            f"audit rows added {after - before}; answered {result['answered']}; "
            f"lost records {result['answered'] - (after - before)}"
        )
        from sqlalchemy import select

        from alignlab.store.audit import audit_log

        with audit.engine.connect() as connection:
            logged = set(connection.execute(select(audit_log.c.request_id)).scalars())
        missing = sum(1 for i in result["ids"] if i not in logged)
        print(f"answered request ids without an audit record: {missing}")
        if args.kill:
            proxy = kill_test(proxy, proxy_url, db, args, env, stub_port, proxy_port, bundle)
    finally:
        for process in (proxy, stub):
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
