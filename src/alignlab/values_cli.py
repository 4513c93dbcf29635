"""``alignlab values``: write a commented example value set (LocalValueBench-style) to start from.

Imports the benchmark lazily, so ``alignlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alignlab.errors import AlignlabError

app = typer.Typer(help="Local value sets (LocalValueBench-style YAML).", no_args_is_help=True)


def write_example(path: Path, force: bool = False) -> Path:
    """Write the commented example value set to ``path``.

    Raises:
        AlignlabError: ``path`` exists and ``force`` is False.
    """
    from alignlab.benchmarks.localvalues.data import example_text

    if path.exists() and not force:
        raise AlignlabError(f"{path} exists; choose another path or pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example_text(), encoding="utf-8")
    return path


@app.command("init")
def init_command(
    path: Annotated[Path, typer.Argument(help="where to write the value set")] = Path(
        "values.yaml"
    ),
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented example value set to edit."""
    from alignlab.benchmarks.localvalues.data import load_value_set

    try:
        written = write_example(path, force)
        values = load_value_set(written)
    except AlignlabError as ex:
        typer.echo(f"error: {ex}", err=True)
        raise typer.Exit(code=2) from None
    probes = sum(len(v.probes) for v in values.values)
    typer.echo(
        f"wrote {written}: {len(values.values)} values, {probes} probes, strategies "
        f"{', '.join(values.strategies)}. Edit it, then run: alignlab eval --task local_values "
        f"-T data_dir={written}"
    )
