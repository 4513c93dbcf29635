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
