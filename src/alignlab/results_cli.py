"""The commands that read results across runs: ``runs``, ``compare``, ``card`` and ``site``.

Registered on the ``alignlab`` app by :func:`register`; each is a thin layer
over :mod:`alignlab.store.runs`, :mod:`alignlab.report.runcompare`,
:mod:`alignlab.report.card` and :mod:`alignlab.report.site`.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from alignlab.errors import AlignlabError

console = Console(width=None if sys.stdout.isatty() else 200)

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _fail(ex: AlignlabError | str) -> NoReturn:
    typer.echo(f"error: {ex}", err=True)
    raise typer.Exit(code=2)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` ago, or an ISO date/time (UTC unless it says otherwise).

    Raises:
        AlignlabError: neither form.
    """
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(value.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AlignlabError(
            f"--since expects a time like 2026-12-01, 2026-12-01T09:30 or 7d/12h/30m, got '{value}'"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def runs_command(
    model: Annotated[str | None, typer.Option(help="Only models containing this text")] = None,
    task: Annotated[str | None, typer.Option(help="Only tasks containing this text")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only runs created since: 2026-12-01, 7d, 12h, ...")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    add: Annotated[
        list[Path] | None,
        typer.Option("--add", help="Index the finished runs under this log directory first"),
    ] = None,
    index: Annotated[
        str | None,
        typer.Option(help="Run index URL (default $ALIGNLAB_INDEX_URL or ~/.alignlab/runs.db)"),
    ] = None,
) -> None:
    """List the run index: every finished eval with its metrics and 95% CIs."""
    from alignlab.report.index import index_log_dir
    from alignlab.store.runs import find_runs

    try:
        when = parse_since(since) if since else None
        for log_dir in add or []:
            indexed = index_log_dir(log_dir, index)
            typer.echo(f"indexed {indexed.count} run(s) from {log_dir}", err=True)
            for line in indexed.warnings:
                typer.echo(f"warning: {line}", err=True)
        found = find_runs(index, model=model, task=task, since=when)
    except AlignlabError as ex:
        _fail(ex)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in found], indent=2, default=str))
        return
    if not found:
        typer.echo("No runs in the index match. `alignlab runs --add LOGDIR` indexes old logs.")
        return
    table = Table(box=box.SIMPLE, title=f"{len(found)} run(s)")
    for column in ("run", "created (UTC)", "model", "task", "intervention", "n", "headline"):
        table.add_column(column, justify="right" if column == "n" else "left")
    for r in found:
        table.add_row(
            r.eval_id[:10],
            r.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            r.model,
            r.task,
            r.intervention,
            str(r.n_samples),
            _headline(r.metrics),
        )
    console.print(table)


def _headline(metrics: Any) -> str:
    """The run's first uncalibrated metric, with its CI; ``*`` when the CI includes chance."""
    from alignlab.report.format import interval, num

    for m in metrics:
        if m.calibration in ("none", "") and m.value is not None:
            near = (
                m.chance is not None
                and m.ci_low is not None
                and m.ci_high is not None
                and m.ci_low <= m.chance <= m.ci_high
            )
            where = "" if m.subset in ("all", "") else f" ({m.subset})"
            mark = " *" if near else ""
            return f"{m.metric}{where} {num(m.value)} {interval(m.ci_low, m.ci_high)}{mark}"
    return "–"


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("runs")(runs_command)
