"""``alignlab policy check|test``: compile a bundle, run its tests."""

from __future__ import annotations

from typing import Annotated

import typer

from alignlab.errors import AlignlabError
from alignlab.policy import bundled_names, resolve_bundle

policy_app = typer.Typer(
    help="Check and test Rego policy bundles (directories of .rego files and data.json).",
    no_args_is_help=True,
)

BundleArg = Annotated[
    str, typer.Argument(help=f"bundle directory, or a bundled name ({', '.join(bundled_names())})")
]


def _fail(ex: AlignlabError) -> None:
    typer.echo(f"error: {ex}", err=True)
    raise typer.Exit(code=2)


@policy_app.command("check")
def check_command(bundle: BundleArg) -> None:
    """Compile the bundle and its tests; report the first error with file and line."""
    from alignlab.policy.bundle import check_bundle

    try:
        compiled = check_bundle(resolve_bundle(bundle))
    except AlignlabError as ex:
        _fail(ex)
        return
    stages = ", ".join(compiled.stages)
    typer.echo(f"ok: {compiled.root} ({stages}; sha256 {compiled.digest[:12]})")


@policy_app.command("test")
def test_command(
    bundle: BundleArg,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="list passing tests too")
    ] = False,
) -> None:
    """Run the bundle's Rego unit tests (as `opa test`) and its example conversations."""
    from alignlab.policy.testing import test_bundle

    try:
        results = test_bundle(resolve_bundle(bundle))
    except AlignlabError as ex:
        _fail(ex)
        return
    for result in results:
        if verbose or not result.passed:
            detail = f": {result.detail}" if result.detail else ""
            typer.echo(
                f"{result.outcome:5s} {result.kind:7s} {result.name} ({result.location}){detail}"
            )
    failed = sum(not r.passed for r in results)
    typer.echo(f"{len(results) - failed}/{len(results)} passed")
    if failed or not results:
        raise typer.Exit(code=1)
