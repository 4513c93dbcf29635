"""``alignlab serve`` (the guarded proxy) and ``alignlab audit`` (query and export its log)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alignlab.errors import AlignlabError
from alignlab.store import DEFAULT_DB_URL

if TYPE_CHECKING:
    from alignlab.serve.app import GuardedProxy

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _fail(message: object) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def single_threaded_kernels() -> None:
    """One thread per numeric kernel (BLAS, OpenMP, torch) in this process.

    The proxy scores many short messages concurrently; a multi-threaded kernel
    per message oversubscribes the cores (measured on 2 busy cores: a MiniLM
    embedding took 1157 ms with torch's 2 threads, 82 ms with 1).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def serve_command(
    policy: Annotated[str, typer.Option(help="policy bundle directory, or general / medical")],
    model: Annotated[
        str,
        typer.Option(
            help="model name; without --upstream an Inspect model run in-process "
            "(alignlab/smollm2: the bundled model)"
        ),
    ] = "alignlab/smollm2",
    upstream: Annotated[
        str | None,
        typer.Option(help="base URL of an OpenAI-compatible server (…/v1) to forward to"),
    ] = None,
    upstream_key_env: Annotated[
        str | None, typer.Option(help="environment variable holding the upstream's API key")
    ] = None,
    db: Annotated[str, typer.Option(help="audit database URL (sqlite:///… or postgresql://…)")] = (
        DEFAULT_DB_URL
    ),
    host: Annotated[str, typer.Option(help="address to bind; non-loopback needs --api-keys")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option()] = 8000,
    api_keys: Annotated[
        Path | None,
        typer.Option(help="file of name:sha256 lines (make one with --hash-key)"),
    ] = None,
    hash_key: Annotated[
        str | None, typer.Option(help="print the stored form of this API key and exit")
    ] = None,
    max_body_kb: Annotated[int, typer.Option(help="largest request body accepted")] = 256,
    rate: Annotated[int, typer.Option(help="requests per minute per client")] = 6000,
    feature_timeout: Annotated[float, typer.Option(help="seconds before features fail closed")] = (
        5.0
    ),
    store_text: Annotated[
        bool, typer.Option(help="keep message and answer text in the audit log")
    ] = False,
    log_text: Annotated[bool, typer.Option(help="write message text to the application log")] = (
        False
    ),
    grader_model: Annotated[
        str | None,
        typer.Option(help="Inspect model that answers the bundle's grader questions, if any"),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="server processes (each loads the bundle and its models; the rate limit "
            "is per process)"
        ),
    ] = 1,
) -> None:
    """Serve MODEL behind the policy bundle as an OpenAI-compatible, audited endpoint."""
    from alignlab.serve.app import hash_key as hash_of
    from alignlab.serve.app import read_key_file

    if hash_key is not None:
        typer.echo(hash_of(hash_key))
        return
    keys: dict[str, str] = {}
    if api_keys is not None:
        try:
            keys = read_key_file(str(api_keys))
        except (OSError, ValueError) as ex:
            _fail(ex)
        if not keys:
            _fail(f"{api_keys} holds no key")
    if host not in LOOPBACK and not keys:
        _fail(
            f"binding {host} exposes the proxy beyond this machine; give --api-keys FILE "
            "(hashed keys, see --hash-key) or bind 127.0.0.1"
        )
    if workers < 1:
        _fail("--workers must be at least 1")
    options = {
        "policy": policy,
        "model": model,
        "upstream": upstream,
        "upstream_key_env": upstream_key_env,
        "db": db,
        "keys": keys,
        "max_body_kb": max_body_kb,
        "rate": rate,
        "feature_timeout": feature_timeout,
        "store_text": store_text,
        "log_text": log_text,
        "grader_model": grader_model,
    }
    import uvicorn

    if workers > 1:
        import json
        import os

        from alignlab.policy import resolve_bundle
        from alignlab.policy.bundle import PolicyBundle
        from alignlab.policy.features import FeatureExtractor
        from alignlab.store.audit import AuditLog

        try:  # fail here, once, not in every worker; and migrate the database once
            loaded = PolicyBundle.load(resolve_bundle(policy))
            AuditLog(db).close()
            if "topics" in FeatureExtractor.for_bundle(loaded.data).enabled:
                from alignlab.scorers.embedding import static_table

                static_table()  # computed (all cores) or found once here, then mapped by each
        except AlignlabError as ex:
            _fail(ex)
        os.environ[_OPTIONS_ENV] = json.dumps(options)
        typer.echo(
            f"alignlab serve: {model} behind {policy} on http://{host}:{port}/v1 "
            f"({workers} processes; audit: {db})"
        )
        uvicorn.run(
            "alignlab.serve.cli:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            access_log=False,
        )
        return
    single_threaded_kernels()
    try:
        app = build_app(**options)  # type: ignore[arg-type]
    except AlignlabError as ex:
        _fail(ex)
        return

    typer.echo(f"alignlab serve: {model} behind {policy} on http://{host}:{port}/v1 (audit: {db})")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


_OPTIONS_ENV = "ALIGNLAB_SERVE_OPTIONS"


def app_from_environment() -> GuardedProxy:
    """The application of one ``--workers`` process, from the options its parent left."""
    import json
    import os

    single_threaded_kernels()
    return build_app(**json.loads(os.environ[_OPTIONS_ENV]))


def build_app(
    policy: str,
    model: str,
    upstream: str | None,
    upstream_key_env: str | None,
    db: str,
    keys: dict[str, str],
    max_body_kb: int,
    rate: int,
    feature_timeout: float,
    store_text: bool,
    log_text: bool,
    grader_model: str | None = None,
) -> GuardedProxy:
    """The proxy application for these options (what ``alignlab serve`` runs)."""
    import os

    from alignlab.policy import resolve_bundle
    from alignlab.policy.bundle import PolicyError
    from alignlab.policy.grader import ask_model
    from alignlab.policy.guard import Guard
    from alignlab.serve.app import ServeConfig, create_app
    from alignlab.serve.upstream import InspectUpstream, OpenAIUpstream, Upstream
    from alignlab.store.audit import AuditLog

    guard = Guard.load(resolve_bundle(policy), feature_timeout_s=feature_timeout)
    if guard.grader is not None and grader_model is None:
        raise PolicyError(
            "the bundle's features include 'grader': give --grader-model MODEL to answer its "
            "questions",
            str(guard.bundle.root / "data.json"),
        )
    grader_ask = None if grader_model is None else ask_model(grader_model)
    audit = AuditLog(db)
    source: Upstream
    if upstream:
        key = os.environ.get(upstream_key_env) if upstream_key_env else None
        source = OpenAIUpstream(upstream, model, api_key=key)
    else:
        source = InspectUpstream(model)
    config = ServeConfig(
        guard=guard,
        audit=audit,
        upstream=source,
        model_name=model,
        api_keys=keys,
        max_body_bytes=max_body_kb * 1024,
        rate_per_minute=rate,
        store_text=store_text,
        log_text=log_text,
        grader_ask=grader_ask,
    )
    return create_app(config)


def audit_command(
    db: Annotated[str, typer.Option(help="audit database URL")] = DEFAULT_DB_URL,
    outcome: Annotated[
        str | None, typer.Option(help="allow, deny, rewrite, escalate or error")
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO time, e.g. 2026-12-03T18:00")] = None,
    escalated: Annotated[bool, typer.Option("--escalated", help="only flagged records")] = False,
    limit: Annotated[int | None, typer.Option()] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
) -> None:
    """Query the proxy's audit log and export it as JSONL or CSV."""
    from alignlab.store.audit import AuditLog, export

    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        _fail(f"--since expects an ISO time such as 2026-12-03T18:00, got '{since}'")
        return
    try:
        log = AuditLog(db, create=False)
        rows = log.query(
            outcome=outcome, since=start, escalated=True if escalated else None, limit=limit
        )
        if out is None:
            count = export(rows, sys.stdout, fmt)
        else:
            with out.open("w", encoding="utf-8", newline="") as handle:
                count = export(rows, handle, fmt)
    except AlignlabError as ex:
        _fail(ex)
        return
    typer.echo(f"{count} records", err=True)
