"""``alignlab policy check|test|frame|instruct|audit``: bundles, their tests, Alignment Studio."""

from __future__ import annotations

from pathlib import Path
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


def _generate_with(model: str):  # type: ignore[no-untyped-def]
    """A prompt -> text function over the Inspect model ``model`` (temperature 0)."""
    from inspect_ai.model import GenerateConfig, get_model

    resolved = get_model(model)

    async def generate(prompt: str) -> str:
        output = await resolved.generate(
            prompt, config=GenerateConfig(temperature=0.0, max_tokens=4096)
        )
        return output.completion

    return generate


@policy_app.command("frame")
def frame_command(
    guidelines: Annotated[Path, typer.Argument(help="plain-language guideline document")],
    out: Annotated[Path, typer.Option(help="new directory for the draft bundle")],
    model: Annotated[str, typer.Option(help="Inspect model that drafts the bundle")],
) -> None:
    """Framer: draft a bundle (Rego, data, instructions, test conversations) for review."""
    import anyio

    from alignlab.policy.studio import frame

    try:
        text = guidelines.read_text(encoding="utf-8")
    except OSError as ex:
        typer.echo(f"error: {guidelines}: {ex.strerror}", err=True)
        raise typer.Exit(code=2) from None
    try:
        draft = anyio.run(frame, text, _generate_with(model), out)
    except AlignlabError as ex:
        _fail(ex)
        return
    typer.echo(f"draft written to {draft.root}: review every file before using it")
    if draft.ok:
        passed = sum(r.passed for r in draft.examples)
        typer.echo(f"policy check: ok; examples: {passed}/{len(draft.examples)} passed")
        return
    typer.echo("to review:")
    for problem in draft.problems:
        typer.echo(f"  {problem}")
    raise typer.Exit(code=1)


@policy_app.command("instruct")
def instruct_command(bundle: BundleArg) -> None:
    """Instructor: print the system prompt that tells a model what the bundle enforces."""
    from alignlab.policy.studio import instruct

    try:
        typer.echo(instruct(resolve_bundle(bundle)), nl=False)
    except AlignlabError as ex:
        _fail(ex)


@policy_app.command("audit")
def audit_command(
    bundle: BundleArg,
    model: Annotated[str, typer.Option(help="Inspect model to audit")],
    redteam: Annotated[
        Path | None, typer.Option(help="JSONL of {prompt, expect}; default: the bundled set")
    ] = None,
    instructed: Annotated[
        bool, typer.Option(help="give the model the Instructor's system prompt first")
    ] = False,
) -> None:
    """Auditor: the bundle's Rego tests, then MODEL's conformity on its examples and red team."""
    import anyio

    from alignlab.policy.studio import audit_model, instruct, read_redteam

    root = resolve_bundle(bundle)
    try:
        items = read_redteam(redteam) if redteam is not None else read_redteam()
        system = instruct(root) if instructed else None
    except AlignlabError as ex:
        _fail(ex)
        return
    from inspect_ai.model import (
        ChatMessage,
        ChatMessageAssistant,
        ChatMessageSystem,
        ChatMessageUser,
        GenerateConfig,
        get_model,
    )

    audited = get_model(model)

    async def answer(messages) -> str:  # type: ignore[no-untyped-def]
        chat: list[ChatMessage] = [ChatMessageSystem(content=system)] if system else []
        for message in messages:
            kind = {"assistant": ChatMessageAssistant, "system": ChatMessageSystem}
            chat.append(kind.get(message["role"], ChatMessageUser)(content=message["content"]))
        output = await audited.generate(
            chat, config=GenerateConfig(temperature=0.0, max_tokens=512)
        )
        return output.completion

    try:
        report = anyio.run(audit_model, root, answer, items)
    except AlignlabError as ex:
        _fail(ex)
        return
    typer.echo(report.render())
