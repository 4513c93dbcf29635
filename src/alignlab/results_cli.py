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


def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run id (see `alignlab runs`), log dir or log file")],
    run_b: Annotated[str, typer.Argument(help="The run(s) compared with A: B - A is reported")],
    flips: Annotated[int, typer.Option(help="Flipped items listed per direction")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutations")] = 0,
    index: Annotated[str | None, typer.Option(help="Run index URL (for run ids)")] = None,
) -> None:
    """Compare two runs on the items both scored: paired CIs, p-values (Holm), flipped items."""
    from alignlab.report.runcompare import compare_runs, holm_across, pair_runs, resolve_side

    try:
        pairs, notes = pair_runs(resolve_side(run_a, index), resolve_side(run_b, index))
        results = holm_across([compare_runs(a, b, seed=seed) for a, b in pairs])
    except AlignlabError as ex:
        _fail(ex)
    if as_json:
        typer.echo(json.dumps([_comparison_json(c) for c in results], indent=2))
    else:
        for c in results:
            _print_comparison(c, flips, several=len(results) > 1)
    for note in notes:
        typer.echo(f"note: {note}", err=True)


def _comparison_json(c: Any) -> dict[str, Any]:
    from dataclasses import asdict

    out = asdict(c)
    for m in out["metrics"]:
        m["n"] = m["difference"]["n"]
    return out


def _print_comparison(c: Any, flips: int, several: bool = False) -> None:
    from alignlab.report.compare import p_value_text
    from alignlab.report.format import interval, num

    console.print(f"[bold]{c.task}[/bold]: A = {c.a_label}   B = {c.b_label}")
    console.print(f"  A: {c.a_log}\n  B: {c.b_log}")
    only = f" ({c.only_a} only in A, {c.only_b} only in B)" if c.only_a or c.only_b else ""
    table = Table(
        box=box.SIMPLE,
        title=f"{c.shared} shared items{only}; B - A with paired bootstrap 95% CI, "
        "paired permutation p, Holm-adjusted across the metrics"
        + (" (of this task; 'all': of every task compared)" if several else ""),
    )
    columns = ["metric", "n", "A", "B", "B - A", "95% CI", "d_z", "p", "p (Holm)"]
    for column in columns + (["p (Holm, all)"] if several else []):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for m in c.metrics:
        d = m.difference
        table.add_row(
            m.metric,
            str(m.n),
            num(m.mean_a),
            num(m.mean_b),
            f"{d.mean_difference:+.3f}",
            interval(d.low, d.high),
            num(m.effect_size),
            p_value_text(d.p_value),
            p_value_text(m.p_holm),
            *([p_value_text(m.p_holm_all)] if several else []),
        )
    console.print(table)
    for note in c.notes:
        console.print(f"  [dim]{note}[/dim]")
    by_metric: dict[str, list[Any]] = {}
    for f in c.flips:
        by_metric.setdefault(f.metric, []).append(f)
    for metric, found in list(by_metric.items())[:1]:
        worse = [f.item for f in found if f.a > f.b]
        better = [f.item for f in found if f.b > f.a]
        console.print(f"  Items that flipped on {metric}: {len(better)} 0->1, {len(worse)} 1->0")
        for label, items in (("0->1", better), ("1->0", worse)):
            if items and flips > 0:
                more = f" (+{len(items) - flips} more)" if len(items) > flips else ""
                console.print(f"    {label}: {', '.join(items[:flips])}{more}")


def card_command(
    log_dir: Annotated[Path, typer.Argument(help="Directory of eval logs")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Markdown file (default: print)")
    ] = None,
) -> None:
    """Write the "Ethical considerations" section of a model card from the results in LOG_DIR."""
    from alignlab.report.card import ethical_considerations

    try:
        text = ethical_considerations(log_dir)
    except AlignlabError as ex:
        _fail(ex)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Model-card section: {output.resolve()}", err=True)


def site_command(
    log_dirs: Annotated[list[Path], typer.Argument(help="Directories of eval logs")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write")] = Path("site"),
) -> None:
    """Write a static, sortable leaderboard of LOG_DIRS (n and 95% CI in every cell)."""
    from alignlab.report.site import write_site

    try:
        page, warnings = write_site(log_dirs, output)
    except AlignlabError as ex:
        _fail(ex)
    for line in warnings:
        typer.echo(f"warning: {line}", err=True)
    typer.echo(f"Leaderboard: {page.resolve()}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("runs")(runs_command)
    app.command("compare")(compare_command)
    app.command("card")(card_command)
    app.command("site")(site_command)
