"""The ``alignlab`` command: a thin layer over the Python API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from alignlab.errors import AlignlabError

if TYPE_CHECKING:
    from alignlab.runcache import Request

Scoring = Literal["auto", "logprob", "generate", "sample"]
Calibration = Literal["none", "contextual"]
Display = Literal["full", "conversation", "rich", "plain", "log", "none"]

app = typer.Typer(
    help="Measure, steer and train the values of language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click output: a bad option is one line (rich draws it in a box, wrapped).
    rich_markup_mode=None,
)
# Piped output (CI logs, files) gets a wide table instead of rich's 80 columns.
# Both record what they print: a finished run's output is stored for the fast path to replay.
console = Console(width=None if sys.stdout.isatty() else 200, record=True)
err = Console(stderr=True, record=True)


def _parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise AlignlabError(f"{option} expects key=value, got '{pair}'")
        out[key] = _coerce(value.strip())
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
    limit: Annotated[
        int | None, typer.Option(min=1, help="Items per task (whole groups), at least 1")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for sampling and item order")] = None,
    log_dir: Annotated[
        Path | None, typer.Option(help="Where logs go (default logs/<suite>)")
    ] = None,
    variant: Annotated[
        str | None,
        typer.Option(
            help="Prompt variant for every task. Each task has its own (paper, reverse, direct, "
            "swapped, ...; pluralism_overton: plain, balanced; EALM: default, reverse); one a "
            "task lacks is refused, naming those it has"
        ),
    ] = None,
    calibration: Annotated[
        Calibration | None, typer.Option(help="Headline calibration (tasks that take it)")
    ] = None,
    scoring: Annotated[
        Scoring | None,
        typer.Option(
            help="How answers are read: auto, logprob, generate (forced choice) or sample "
            "(Scruples, pluralism); tasks that lack the method refuse it"
        ),
    ] = None,
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
    max_samples: Annotated[int | None, typer.Option(min=1, help="Samples run concurrently")] = None,
    display: Annotated[
        Display | None,
        typer.Option(
            help="Inspect's display while running (default: alignlab's one-line progress: "
            "tasks done, samples/s, ETA; 'full' shows Inspect's panel per task)"
        ),
    ] = None,
    report: Annotated[bool, typer.Option(help="Write an HTML report when done")] = True,
    cluster: Annotated[
        str | None,
        typer.Option(help="Run each task on Ray: ray://HOST:10001, auto, or local"),
    ] = None,
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
    if not suite and not task:
        from alignlab.runner import DEFAULT_SUITE

        console.print(
            f"No --suite or --task given: running the '{DEFAULT_SUITE}' suite "
            "(`alignlab suites` lists the others)."
        )
    key = _request_key(request)
    if key is not None and not runcache.disabled() and _replay(request.resolved_log_dir(), key):
        return

    from alignlab.runner import run_eval

    _start_recording()
    report_path: Path | None = None
    try:
        outcome = run_eval(**request.eval_args(), display=display, warn=_warn, cluster=cluster)
        console.print(f"Logs: {outcome.log_dir}")
        if report:
            report_path = _write_report(outcome.log_dir, outcome.log_dir / "report.html")
            console.print(f"Report: {report_path.resolve()}")
    except AlignlabError as ex:
        _fail(ex)
    except KeyboardInterrupt:
        typer.echo(
            "\nInterrupted. Re-run the same command to resume: finished samples are kept.\n  "
            + _command_line(),
            err=True,
        )
        raise typer.Exit(code=130) from None
    if not outcome.success:
        err.print(
            "[yellow]Some tasks did not finish. Re-run the same command to resume; "
            "finished samples are kept.[/yellow]"
        )
        raise typer.Exit(code=1)
    # A run that skipped tasks (offline) is not stored: online, the same command runs them.
    if key is not None and not outcome.skipped:
        lines, error_lines = _stop_recording()
        runcache.store(
            request.resolved_log_dir(), key, lines, report_path, error_lines, _summary_rows
        )


def _command_line() -> str:
    """The command as typed (``alignlab eval ...``), to copy and re-run."""
    import shlex

    return "alignlab " + " ".join(shlex.quote(a) for a in sys.argv[1:])


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
    from rich.text import Text

    # Not markup: a message may hold brackets ([0.5, 0.5]) or paths rich would read as tags.
    err.print(Text.assemble(("warning:", "yellow"), " ", message), soft_wrap=True)


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
        if line == SUMMARY_MARK:
            _print_summary(_rows_of(record.summary or []), record_rows=False)
        else:
            typer.echo(line)
    for line in record.error_lines:
        typer.echo(line, err=True)
    typer.echo(
        f"Run already complete in {log_dir}: logs unchanged, nothing was run "
        f"(set {runcache.DISABLE_ENV}=1 to run it through Inspect)."
    )
    return True


# Where the results table stood in a recorded run's output: a replay draws it again from the
# stored rows, for the width of the terminal it replays in.
SUMMARY_MARK = "\x00alignlab-summary"
_recorded: list[str] = []
_summary_rows: list[dict[str, Any]] | None = None


def _start_recording() -> None:
    """Forget anything printed before, so the record holds this command's output only."""
    global _summary_rows
    console.export_text(clear=True)
    err.export_text(clear=True)
    _recorded.clear()
    _summary_rows = None


def _stop_recording() -> tuple[list[str], list[str]]:
    """The plain text this command printed to stdout and to stderr, line by line; the results
    table is one :data:`SUMMARY_MARK` line (its rows are in :data:`_summary_rows`)."""
    lines = [*_recorded, *console.export_text(clear=True, styles=False).splitlines()]
    _recorded.clear()
    return lines, err.export_text(clear=True, styles=False).splitlines()


def _write_report(log_dir: Path, output: Path) -> Path:
    from alignlab.report.build import build_report

    built = build_report(log_dir, output)
    _print_summary(built.results)
    for line in built.degenerate:
        _warn(line)
    for warning in built.warnings:
        _warn(warning)
    return built.path


_SUMMARY_FIELDS = (
    "model", "task", "subset", "metric", "value", "ci_low", "ci_high", "n", "unparsed_rate",
    "chance", "majority", "variant", "calibration", "scoring", "higher_is_better", "intervention",
)  # fmt: skip


def _rows_of(stored: list[dict[str, Any]]) -> list[Any]:
    """Stored summary rows back as results (a row that does not fit is left out)."""
    from alignlab.report.results import MetricResult

    rows = []
    for raw in stored:
        try:
            rows.append(MetricResult(**{k: raw[k] for k in _SUMMARY_FIELDS if k in raw}))
        except TypeError:
            continue
    return rows


def _print_summary(results: list[Any], record_rows: bool = True) -> None:
    """A compact terminal table (uncalibrated rows) that fits the terminal; the HTML has all.

    Value, 95% CI and n are never cut. A column whose cells are all equal
    (one model, one variant, one scoring method) goes into the title instead;
    when the rest is still too wide, the majority and then the chance columns
    are left to the HTML report, and text columns wrap.
    """
    from rich import box

    from alignlab.report.format import num, result_interval

    rows = [r for r in results if r.calibration == "none"]
    if not rows:
        return  # no rows: an empty table says nothing
    described = [
        ("model", [r.model for r in rows]),
        ("task", [r.task for r in rows]),
        ("subset", [r.subset for r in rows]),
        ("variant", [r.variant for r in rows]),
        ("scoring", [r.scoring for r in rows]),
        ("intervention", [getattr(r, "intervention", "none") for r in rows]),
        ("metric", [r.metric_label for r in rows]),
    ]
    common = [
        (name, cells[0])
        for name, cells in described
        if len(set(cells)) == 1 and not (name == "intervention" and cells[0] == "none")
    ]
    text_columns = [(name, cells) for name, cells in described if len(set(cells)) > 1]
    marks = [" *" if r.ci_includes_chance else "" for r in rows]
    numbers = [
        ("value", [f"{num(r.value)}{m}" for r, m in zip(rows, marks, strict=True)]),
        ("95% CI", [result_interval(r) for r in rows]),
        ("chance", [num(r.chance) for r in rows]),
        ("majority", [num(r.majority) for r in rows]),
        ("n", [str(r.n) for r in rows]),
    ]
    width = console.width

    def needed(columns: list[tuple[str, list[str]]]) -> int:
        return sum(max(len(h), *(len(c) for c in cells)) + 3 for h, cells in columns)

    left_out = []
    for optional in ("majority", "chance"):
        if needed(text_columns + numbers) <= width:
            break
        numbers = [c for c in numbers if c[0] != optional]
        left_out.append(optional)
    title = "Uncalibrated results; * = 95% CI includes chance"
    if left_out:
        title += f"; {' and '.join(reversed(left_out))} in the HTML report"
    table = Table(title=title, box=box.SIMPLE, title_justify="left")
    for name, _ in text_columns:
        table.add_column(name, overflow="fold")
    for name, _ in numbers:
        table.add_column(name, no_wrap=True, justify="right")
    columns = [cells for _, cells in text_columns + numbers]
    for i in range(len(rows)):
        table.add_row(*(cells[i] for cells in columns))
    global _summary_rows
    if record_rows:  # the output so far, then one mark where the table goes
        _recorded.extend(console.export_text(clear=True, styles=False).splitlines())
    if common:
        console.print(
            " · ".join(f"{name.capitalize()}: {value}" for name, value in common),
            markup=False,
        )
    console.print(table)
    if record_rows:
        console.export_text(clear=True)
        _recorded.append(SUMMARY_MARK)
        _summary_rows = [
            {k: getattr(r, k) for k in _SUMMARY_FIELDS if hasattr(r, k)} for r in results
        ]


@app.command("report")
def report_command(
    log_dir: Annotated[Path, typer.Argument(help="Directory of Inspect logs")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="HTML file (default: LOG_DIR/report.html)"),
    ] = None,
) -> None:
    """Build one self-contained HTML report from the logs in LOG_DIR."""
    from alignlab import runcache

    target = output if output is not None else log_dir / "report.html"
    try:
        path = _write_report(log_dir, target)
    except AlignlabError as ex:
        _fail(ex)
    runcache.refresh_report(log_dir, path)
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
    from alignlab.models.bundled import (
        BUNDLED_LICENCE,
        DEFAULT_MODEL,
        DEFAULT_WEIGHTS,
        WEIGHTS,
        bundled_model_path,
    )
    from alignlab.report.build import BUNDLED_NOTE

    try:
        path = bundled_model_path()
        where = f"{path} ({path.stat().st_size / 1e6:.0f} MB)"
    except ModelError as ex:
        where = f"not installed: {ex}"
    console.print(f"[bold]{DEFAULT_MODEL}[/bold] (default)  SmolLM2-135M-Instruct, Q4_1 GGUF")
    console.print(f"  file: {where}")
    console.print(
        f"  served as a cached {DEFAULT_WEIGHTS.upper()} re-encoding of those weights (made once "
        f"on first use); -M weights=q4_1 runs the file as shipped ({', '.join(WEIGHTS)})"
    )
    console.print(f"  licence: {BUNDLED_LICENCE}")
    console.print("  runs in-process with llama.cpp; temperature 0 and a fixed seed by default.")
    # The note ends by pointing here; inside `alignlab models` that would point at itself.
    console.print(f"  {BUNDLED_NOTE.replace(' (see `alignlab models`)', '')}")
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
    console.print("\n[bold]Tasks[/bold] (every task takes --limit, --seed, --variant, --data-dir)")
    for name, factory in all_tasks().items():
        console.print(f"  {name:24s} {task_summary(factory.__doc__)}", soft_wrap=True)
        options = task_options(factory)
        if options:
            console.print(f"  {'':24s} -T {options}", soft_wrap=True, markup=False)


def task_summary(doc: str | None) -> str:
    """A task's first docstring line for users: no reST backticks, no pointers to the source."""
    import re

    first = (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""
    first = re.sub(r"\s*\([^()]*module docstring[^()]*\)", "", first)
    first = first.replace("``", "'")
    return first.strip()


def task_options(factory: Any) -> str:
    """The task's own options (beyond the shared ones) with what each accepts."""
    from typing import Literal, get_args, get_origin

    from alignlab.benchmarks._args import task_hints

    shared = {"variant", "data_dir", "split", "limit", "seed", "intervention"}
    words = {bool: "true/false", int: "integer", float: "number", str: "text"}
    parts = []
    for name, hint in task_hints(factory).items():
        if name in shared:
            continue
        options = [a for a in get_args(hint) if a is not type(None)] or [hint]
        main = options[0] if len(options) == 1 else hint
        if get_origin(main) is Literal:
            parts.append(f"{name}={'|'.join(str(a) for a in get_args(main))}")
        else:
            parts.append(f"{name}=<{words.get(main, 'value')}>")
    return "  ".join(parts)


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


# Governance (policy bundles, the guarded proxy, the audit log): commands live in their modules.
from alignlab.policy.cli import policy_app  # noqa: E402
from alignlab.serve.cli import audit_command, serve_command  # noqa: E402

app.add_typer(policy_app, name="policy")
app.command("serve")(serve_command)
app.command("audit")(audit_command)
# Local value sets: `alignlab values init` (alignlab.values_cli).
from alignlab.values_cli import app as _values_app  # noqa: E402

app.add_typer(_values_app, name="values")
# Results across runs: the run index, comparisons, model-card section, leaderboard site.
from alignlab import results_cli  # noqa: E402

results_cli.register(app)


def _register_training() -> None:
    from alignlab.train.cli import align_command, data_app, mix_heads_command

    app.command("align")(align_command)
    app.add_typer(data_app, name="data")
    app.command("mix-heads")(mix_heads_command)


_register_training()


def main() -> None:  # pragma: no cover - entry for python -m
    os.environ.setdefault("INSPECT_LOG_FORMAT", "eval")
    try:
        app()
    except BrokenPipeError:
        # `alignlab ... | head`: the reader left. Say nothing more, as other commands do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(141) from None


if __name__ == "__main__":  # pragma: no cover
    main()
