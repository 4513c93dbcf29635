"""The ``alignlab`` command: a thin layer over the Python API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from alignlab.errors import AlignlabError

if TYPE_CHECKING:
    from alignlab.runcache import Request

app = typer.Typer(
    help="Measure, steer and train the values of language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) gets a wide table instead of rich's 80 columns.
# Both record what they print: a finished run's output is stored for the fast path to replay.
console = Console(width=None if sys.stdout.isatty() else 200, record=True)
err = Console(stderr=True, record=True)


def _parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AlignlabError(f"{option} expects key=value, got '{pair}'")
        out[key.strip()] = _coerce(value.strip())
    return out


def _parse_roles(pairs: list[str] | None) -> dict[str, str]:
    """``--model-role ROLE=MODEL`` pairs; model strings are kept as typed (no coercion).

    Checked before the fast path, so a typo fails at once instead of running
    (or replaying) a run without the intended grader.
    """
    roles: dict[str, str] = {}
    for pair in pairs or []:
        role, _, model = (part.strip() for part in pair.partition("="))
        if not role or not model:
            raise AlignlabError(
                f"--model-role expects ROLE=MODEL (e.g. grader=openai-api/local/qwen), got '{pair}'"
            )
        if role in roles:
            raise AlignlabError(f"--model-role binds '{role}' twice; bind each role once")
        roles[role] = model
    return roles


def _coerce(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(value.lower(), value)


def _fail(ex: AlignlabError) -> NoReturn:
    # Plain text: rich would wrap file paths across lines.
    typer.echo(f"error: {ex}", err=True)
    raise typer.Exit(code=2)


@app.command("eval")
def eval_command(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Inspect model string (default: bundled)")
    ] = None,
    suite: Annotated[str | None, typer.Option("--suite", "-s", help="Suite to run")] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Task (repeatable)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Items per task (whole groups)")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for sampling and item order")] = None,
    log_dir: Annotated[
        Path | None, typer.Option(help="Where logs go (default logs/<suite>)")
    ] = None,
    variant: Annotated[str | None, typer.Option(help="Prompt variant for every task")] = None,
    calibration: Annotated[
        str | None, typer.Option(help="Headline calibration: none or contextual")
    ] = None,
    scoring: Annotated[str | None, typer.Option(help="auto, logprob or generate")] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Public dataset directory (published layout) or 'hub'")
    ] = None,
    intervention: Annotated[
        list[str] | None,
        typer.Option(
            "--intervention",
            help="Intervention NAME[:key=value,...] run before each task's answering step "
            "(repeatable, chained in order; see `alignlab interventions`)",
        ),
    ] = None,
    task_arg: Annotated[
        list[str] | None, typer.Option("-T", help="Task argument key=value (repeatable)")
    ] = None,
    model_arg: Annotated[
        list[str] | None, typer.Option("-M", help="Model argument key=value (repeatable)")
    ] = None,
    model_base_url: Annotated[
        str | None,
        typer.Option(help="Base URL of the model server (the --model model's, not the roles')"),
    ] = None,
    model_role: Annotated[
        list[str] | None,
        typer.Option(
            "--model-role",
            help="Inspect model role ROLE=MODEL (repeatable), e.g. grader=openai-api/local/qwen "
            "for tasks run with -T judge=grader; role models take no -M args",
        ),
    ] = None,
    max_samples: Annotated[int | None, typer.Option(help="Samples run concurrently")] = None,
    display: Annotated[
        str | None, typer.Option(help="Inspect display: full, rich, plain, none")
    ] = None,
    report: Annotated[bool, typer.Option(help="Write an HTML report when done")] = True,
) -> None:
    """Run a suite or tasks; re-run the same command to resume an interrupted run.

    Re-running a run that already finished answers at once, without starting
    Inspect: it prints the stored summary as long as the logs and report are
    exactly as that run left them. Set ALIGNLAB_NO_FAST_PATH=1 to run the
    command through Inspect anyway.
    """
    from alignlab import runcache

    try:
        args = _task_args(task_arg, variant, calibration, scoring, data_dir, intervention)
        model_args = _parse_pairs(model_arg, "-M")
        roles = _parse_roles(model_role)
    except AlignlabError as ex:
        _fail(ex)
    request = runcache.Request(
        model=model,
        suite=suite,
        tasks=tuple(task or ()),
        log_dir=log_dir,
        limit=limit,
        seed=seed,
        task_args=args,
        model_args=model_args,
        base_url=model_base_url,
        max_samples=max_samples,
        report=report,
        model_roles=roles,
    )
    key = _request_key(request)
    if key is not None and not runcache.disabled() and _replay(request.resolved_log_dir(), key):
        return

    from alignlab.runner import run_eval

    _start_recording()
    report_path: Path | None = None
    try:
        outcome = run_eval(**request.eval_args(), display=display, warn=_warn)
        console.print(f"Logs: {outcome.log_dir}")
        if report:
            report_path = _write_report(outcome.log_dir, outcome.log_dir / "report.html")
            console.print(f"Report: {report_path.resolve()}")
    except AlignlabError as ex:
        _fail(ex)
    if not outcome.success:
        err.print(
            "[yellow]Some tasks did not finish. Re-run the same command to resume; "
            "finished samples are kept.[/yellow]"
        )
        raise typer.Exit(code=1)
    # A run that skipped tasks (offline) is not stored: online, the same command runs them.
    if key is not None and not outcome.skipped:
        lines, error_lines = _stop_recording()
        runcache.store(request.resolved_log_dir(), key, lines, report_path, error_lines)


def _task_args(
    pairs: list[str] | None,
    variant: str | None,
    calibration: str | None,
    scoring: str | None,
    data_dir: str | None,
    intervention: list[str] | None = None,
) -> dict[str, Any]:
    """``-T`` pairs with the dedicated options on top, as the tasks receive them.

    Interventions (``--intervention`` or ``-T intervention="a;b"``) become the
    list of their canonical specs, checked here so that an unknown name or a
    malformed pair fails before the fast path; an empty list is no
    intervention, so ``--intervention none`` is the plain run.
    """
    args = _parse_pairs(pairs, "-T")
    for key, value in (
        ("variant", variant),
        ("calibration", calibration),
        ("scoring", scoring),
        ("data_dir", data_dir),
        ("intervention", intervention or None),
    ):
        if value is not None:
            args[key] = value
    if "intervention" in args:
        specs = _interventions(args.pop("intervention"))
        if specs:
            args["intervention"] = specs
    return args


def _interventions(value: Any) -> list[str]:
    """Canonical intervention specs (imports the registry: only when one is asked for)."""
    from alignlab import interventions

    if isinstance(value, list):  # repeated --intervention; ``none`` alone is no intervention
        value = [item for item in value if str(item).strip().lower() != "none"]
    elif value is not None and not isinstance(value, str):
        value = str(value)
    return interventions.normalise(value)


def _warn(message: str) -> None:
    """A warning from the runner, on stderr (recorded, so a replay repeats it)."""
    err.print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True)


def _request_key(request: Request) -> str | None:
    """The fast path's key for this command, or None when it cannot tell."""
    from alignlab import runcache

    try:
        return runcache.request_key(request)
    except (OSError, ValueError):
        return None  # an odd path or file: the normal run is always right


def _replay(log_dir: Path, key: str) -> bool:
    """Print what the finished run printed, if its logs and report are untouched since."""
    from alignlab import runcache

    record = runcache.lookup(log_dir, key)
    if record is None:
        return False
    for line in record.lines:
        typer.echo(line)
    for line in record.error_lines:
        typer.echo(line, err=True)
    typer.echo(
        f"Run already complete in {log_dir}: logs unchanged, nothing was run "
        f"(set {runcache.DISABLE_ENV}=1 to run it through Inspect)."
    )
    return True


def _start_recording() -> None:
    """Forget anything printed before, so the record holds this command's output only."""
    console.export_text(clear=True)
    err.export_text(clear=True)


def _stop_recording() -> tuple[list[str], list[str]]:
    """The plain text this command printed to stdout and to stderr, line by line."""
    return (
        console.export_text(clear=True, styles=False).splitlines(),
        err.export_text(clear=True, styles=False).splitlines(),
    )


def _write_report(log_dir: Path, output: Path) -> Path:
    from alignlab.report.build import build_report

    built = build_report(log_dir, output)
    _print_summary(built.results)
    for warning in built.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    return built.path


def _print_summary(results: list[Any]) -> None:
    """A compact terminal table (uncalibrated rows); the HTML report has everything."""
    from rich import box

    from alignlab.report.format import interval, num

    models = sorted({r.model for r in results})
    intervened = any(getattr(r, "intervention", "none") != "none" for r in results)
    table = Table(
        title="Uncalibrated results; * = 95% CI includes chance (full report in HTML)",
        box=box.SIMPLE,
    )
    columns = (["model"] if len(models) > 1 else []) + [
        "task",
        "subset",
        "variant",
        *(["intervention"] if intervened else []),
        "metric",
        "value",
        "95% CI",
        "chance",
        "majority",
        "n",
    ]
    for column in columns:
        table.add_column(column, no_wrap=True)
    for r in results:
        if r.calibration != "none":
            continue
        mark = " *" if r.ci_includes_chance else ""
        row = [r.model] if len(models) > 1 else []
        row += [
            r.task,
            r.subset,
            r.variant,
            *([r.intervention] if intervened else []),
            r.metric_label,
            f"{num(r.value)}{mark}",
            interval(r.ci_low, r.ci_high),
            num(r.chance),
            num(r.majority),
            str(r.n),
        ]
        table.add_row(*row)
    if len(models) == 1:
        console.print(f"Model: {models[0]}")
    console.print(table)


@app.command("report")
def report_command(
    log_dir: Annotated[Path, typer.Argument(help="Directory of Inspect logs")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file")] = Path("report.html"),
) -> None:
    """Build one self-contained HTML report from the logs in LOG_DIR."""
    try:
        path = _write_report(log_dir, output)
    except AlignlabError as ex:
        _fail(ex)
    console.print(f"Report: {path.resolve()}")


@app.command("view")
def view_command(
    log_dir: Annotated[Path, typer.Argument(help="Directory of Inspect logs")] = Path("logs"),
    port: Annotated[int, typer.Option(help="Port of the log viewer")] = 7575,
) -> None:
    """Open the logs in Inspect's log viewer."""
    cmd = [
        sys.executable,
        "-m",
        "inspect_ai",
        "view",
        "--log-dir",
        str(log_dir),
        "--port",
        str(port),
    ]
    raise typer.Exit(subprocess.call(cmd))


@app.command("models")
def models_command() -> None:
    """List the bundled model and explain how to use others."""
    from alignlab.errors import ModelError
    from alignlab.models.bundled import BUNDLED_LICENCE, DEFAULT_MODEL, bundled_model_path
    from alignlab.report.build import BUNDLED_NOTE

    try:
        path = bundled_model_path()
        where = f"{path} ({path.stat().st_size / 1e6:.0f} MB)"
    except ModelError as ex:
        where = f"not installed: {ex}"
    console.print(f"[bold]{DEFAULT_MODEL}[/bold] (default)  SmolLM2-135M-Instruct, Q4_1 GGUF")
    console.print(f"  file: {where}")
    console.print(f"  licence: {BUNDLED_LICENCE}")
    console.print("  runs in-process with llama.cpp; temperature 0 and a fixed seed by default.")
    console.print(f"  {BUNDLED_NOTE}")
    console.print("\n[bold]Other models[/bold] (any Inspect model string passes through):")
    for example, what in (
        ("alignlab/<path>.gguf", "another local GGUF file, in-process"),
        ("openai-api/<service>/<model>", "any OpenAI-compatible server; set <SERVICE>_BASE_URL"),
        ("llama-cpp-python/<model>", "a llama-cpp-python server (default localhost:8000)"),
        ("ollama/<model>", "an Ollama server"),
        ("vllm/<hf repo>", "a vLLM server (VLLM_BASE_URL), or one Inspect starts (GPU)"),
        ("hf/<checkpoint dir>", "transformers in-process; pip install 'alignlab[hf]'"),
    ):
        console.print(f"  {example:32s} {what}")
    console.print("\nExample: alignlab eval --suite quick --model ollama/llama3.1:8b")
    console.print(
        "\n[bold]Grader model[/bold] (tasks run with -T judge=grader: pluralism_overton, "
        "mtt_detect):"
    )
    console.print(f"  {'--model-role grader=MODEL':32s} binds the 'grader' role to any model above")
    console.print("  role models take no -M args; --model-base-url is the --model model's only")
    console.print("  with no grader bound, the model under test grades itself (a warning says so)")


@app.command("suites")
def suites_command() -> None:
    """List suites and tasks."""
    from alignlab.benchmarks import all_tasks, suites

    for suite in suites().values():
        names = sorted({t.name for t in suite.tasks})
        console.print(f"[bold]{suite.name}[/bold]: {suite.description}")
        console.print(f"  tasks: {', '.join(names)} ({len(suite.tasks)} task runs)")
    console.print("\n[bold]Tasks[/bold]")
    for name, factory in all_tasks().items():
        console.print(f"  {name:24s} {(factory.__doc__ or '').strip().splitlines()[0]}")


@app.command("interventions")
def interventions_command() -> None:
    """List the interventions ``--intervention`` accepts."""
    from alignlab.interventions import registered

    found = registered()
    for name, summary in found.items():
        console.print(f"  {name:16s} {summary}", soft_wrap=True)
    if not found:
        console.print("No interventions are registered.")
    console.print(
        "\nUse: alignlab eval ... --intervention NAME[:key=value,...] (repeatable; chained in "
        "order)",
        soft_wrap=True,
    )


def _register_training() -> None:
    from alignlab.train.cli import align_command, data_app

    app.command("align")(align_command)
    app.add_typer(data_app, name="data")


_register_training()


def main() -> None:  # pragma: no cover - entry for python -m
    os.environ.setdefault("INSPECT_LOG_FORMAT", "eval")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
