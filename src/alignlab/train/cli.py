"""The ``alignlab align`` command (registered by :mod:`alignlab.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from alignlab.errors import AlignlabError

console = Console()
err = Console(stderr=True)


def align_command(
    recipe: Annotated[Path | None, typer.Argument(help="Recipe YAML file (see --example)")] = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            help="Write the commented example recipe NAME to NAME.yaml here (or --to) and stop",
        ),
    ] = None,
    to: Annotated[Path | None, typer.Option(help="Where --example writes the recipe")] = None,
) -> None:
    """Train a model by a recipe and evaluate it before and after, in one report.

    Data -> train (TRL, LoRA or full) -> evaluate the recipe's tasks on the base
    and the trained model -> report.md with per-metric differences, paired CIs
    and p-values. Re-run the same command to resume an interrupted run.
    """
    from alignlab.train.recipe import example_names, example_recipe, load_recipe

    try:
        if example is not None:
            target = to or Path(f"{example}.yaml")
            target.write_text(example_recipe(example))
            console.print(f"Wrote {target}. Run it with: alignlab align {target}")
            return
        if recipe is None:
            raise AlignlabError(
                "Give a recipe file, or write an example first: alignlab align --example NAME "
                f"({', '.join(example_names())})"
            )
        loaded = load_recipe(recipe)
        from alignlab.train.align import comparison_markdown, run_align

        outcome = run_align(loaded, say=console.print)
    except AlignlabError as ex:
        err.print(f"[red]Error:[/red] {ex}", soft_wrap=True)
        raise typer.Exit(code=1) from None
    console.print(comparison_markdown(outcome.rows), soft_wrap=True)
    console.print(f"Trained model: {outcome.model_dir}")
    if outcome.gguf:
        console.print(f"GGUF: {outcome.gguf} (alignlab eval --model alignlab/{outcome.gguf})")
    console.print(f"Report: {outcome.report}")


data_app = typer.Typer(
    help="Preference and SFT data for `alignlab align`: make sets, inspect them.",
    no_args_is_help=True,
)


@data_app.command("from-eval")
def data_from_eval(
    logs: Annotated[list[Path], typer.Argument(help="alignlab .eval logs run with -T split=train")],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write")],
) -> None:
    """Pairs from the items a model got wrong: gold answer chosen, the model's answer rejected."""
    from alignlab.train.preference import pairs_from_eval, write_jsonl

    try:
        records = [r for log in logs for r in pairs_from_eval(log)]
    except AlignlabError as ex:
        err.print(f"[red]Error:[/red] {ex}", soft_wrap=True)
        raise typer.Exit(code=1) from None
    write_jsonl(records, out)
    console.print(f"Wrote {len(records)} pairs to {out}")


@data_app.command("cpo")
def data_cpo(
    responses: Annotated[
        Path, typer.Argument(help='JSONL: {"prompt", "responses": [{"text", "ratings": {...}}]}')
    ],
    condition: Annotated[
        list[str],
        typer.Option(help="Condition as objective=value,... (repeatable), e.g. helpfulness=5"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write")],
) -> None:
    """CPO-conditioned DPO pairs (preference tokens in the prompt; Guo et al. 2024's rule)."""
    from alignlab.datasets._rows import read_jsonl
    from alignlab.train.preference import cpo_pairs, write_jsonl

    try:
        conditions = []
        for text in condition:
            parsed: dict[str, int] = {}
            for part in text.split(","):
                name, _, value = part.partition("=")
                if not value.strip().isdigit():
                    raise AlignlabError(f"--condition '{text}': write objective=integer,...")
                parsed[name.strip()] = int(value)
            conditions.append(parsed)
        records = []
        for line, row in read_jsonl(responses):
            if not isinstance(row.get("responses"), list) or "prompt" not in row:
                raise AlignlabError(f"{responses}:{line}: needs 'prompt' and a 'responses' list")
            records.extend(cpo_pairs(str(row["prompt"]), row["responses"], conditions))
    except AlignlabError as ex:
        err.print(f"[red]Error:[/red] {ex}", soft_wrap=True)
        raise typer.Exit(code=1) from None
    write_jsonl(records, out)
    console.print(f"Wrote {len(records)} pairs to {out}")


@data_app.command("inspect")
def data_inspect(file: Annotated[Path, typer.Argument(help="JSONL, CSV or Parquet set")]) -> None:
    """Summarise a set: counts, sources, lengths, label balance."""
    from alignlab.train.preference import summarise

    try:
        summary = summarise(file)
    except AlignlabError as ex:
        err.print(f"[red]Error:[/red] {ex}", soft_wrap=True)
        raise typer.Exit(code=1) from None
    for key, value in summary.items():
        console.print(f"{key:18s} {value}", soft_wrap=True)
