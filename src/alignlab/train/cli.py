"""The ``alignlab align`` command (registered by :mod:`alignlab.cli`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from alignlab.errors import AlignlabError

console = Console()
err = Console(stderr=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn an :class:`AlignlabError` raised inside into a red message and exit code 1."""
    try:
        yield
    except AlignlabError as ex:
        err.print(f"[red]Error:[/red] {ex}", soft_wrap=True)
        raise typer.Exit(code=1) from None


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

    with _user_errors():
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

    with _user_errors():
        records = [r for log in logs for r in pairs_from_eval(log)]
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

    with _user_errors():
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
    write_jsonl(records, out)
    console.print(f"Wrote {len(records)} pairs to {out}")


@data_app.command("inspect")
def data_inspect(file: Annotated[Path, typer.Argument(help="JSONL, CSV or Parquet set")]) -> None:
    """Summarise a set: counts, sources, lengths, label balance."""
    from alignlab.train.preference import summarise

    with _user_errors():
        summary = summarise(file)
    for key, value in summary.items():
        console.print(f"{key:18s} {value}", soft_wrap=True)


def _sampler(model: str, seed: int, max_new_tokens: int, temperature: float) -> Any:
    from alignlab.train.align import base_checkpoint
    from alignlab.train.generate import Sampler

    return Sampler(
        base_checkpoint(model),
        seed=seed,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        name=model,
    )


def _weights(texts: list[str], what: str) -> dict[str, float]:
    """``--weight`` options (``name=number``, repeatable) as a dict."""
    weights = {}
    for text in texts:
        name, _, value = text.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise AlignlabError(f"--weight '{text}': write {what}=number") from None
    return weights


def _progress(label: str) -> Any:
    from rich.progress import track

    return lambda items: track(list(items), description=label, console=err)


def _generate(
    out: Path,
    model: str,
    seed: int,
    max_new_tokens: int,
    temperature: float,
    make: Callable[[Any, Any], list[dict[str, Any]]],
) -> None:
    """The frame every generating ``alignlab data`` command shares.

    Loads the sampler, calls ``make(sampler, stats)`` for the rows, writes
    them to ``out`` and reports what was skipped (an error exits with code 1).
    """
    from alignlab.train.generate import GenerationStats
    from alignlab.train.preference import write_jsonl

    with _user_errors():
        sampler = _sampler(model, seed, max_new_tokens, temperature)
        stats = GenerationStats()
        records = make(sampler, stats)
    write_jsonl(records, out)
    console.print(f"Wrote {len(records)} rows to {out}")
    for reason, count in sorted(stats.skipped.items()):
        err.print(f"[yellow]Skipped {count}:[/yellow] {reason}")


ModelOpt = Annotated[
    str, typer.Option(help="Model that writes the answers: alignlab/smollm2 or hf/<folder>")
]
SeedOpt = Annotated[int, typer.Option(help="Sampling seed (each prompt gets its own from it)")]
TokensOpt = Annotated[int, typer.Option(help="Most new tokens per answer")]
TempOpt = Annotated[float, typer.Option(help="Sampling temperature")]
PromptsOpt = Annotated[
    Path | None, typer.Option(help="Prompt file (JSONL/CSV/Parquet with `prompt`); default bundled")
]
LimitOpt = Annotated[int | None, typer.Option(help="Use the first N prompts")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write")]


@data_app.command("counterfactual")
def data_counterfactual(
    out: OutOpt,
    style: Annotated[str, typer.Option(help="ethical, honest, refuses or helpful")] = "ethical",
    variant: Annotated[
        str, typer.Option(help="contrastive (desired over counterfactual), enc, dis, negation")
    ] = "contrastive",
    prompts: PromptsOpt = None,
    limit: LimitOpt = None,
    model: ModelOpt = "alignlab/smollm2",
    seed: SeedOpt = 0,
    max_new_tokens: TokensOpt = 64,
    temperature: TempOpt = 0.8,
) -> None:
    """Counterfactual DPO pairs: answers under a style directive and its counterfactual.

    The pairs keep the neutral prompt (no directive), so DPO on them instils the style.
    """
    from alignlab.train.generate import STYLES, counterfactual_pairs, load_prompts

    with _user_errors():
        if style not in STYLES:
            raise AlignlabError(f"unknown style '{style}'; styles: {', '.join(STYLES)}")
        items = load_prompts(prompts, None if prompts else STYLES[style].kinds, limit)
    _generate(
        out,
        model,
        seed,
        max_new_tokens,
        temperature,
        lambda sampler, stats: counterfactual_pairs(
            sampler, items, style, variant, stats, _progress("Counterfactual pairs")
        ),
    )


@data_app.command("self-align")
def data_self_align(
    out: OutOpt,
    output: Annotated[str, typer.Option(help="sft (prompt, completion) or pairs")] = "sft",
    topics: Annotated[int, typer.Option(help="Topics brainstormed per question type")] = 3,
    types: Annotated[int | None, typer.Option(help="Use the first N question types")] = None,
    scaffold: Annotated[
        Path | None, typer.Option(help="Principles/exemplars/question types YAML; default bundled")
    ] = None,
    model: ModelOpt = "alignlab/smollm2",
    seed: SeedOpt = 0,
    max_new_tokens: TokensOpt = 64,
    temperature: TempOpt = 0.8,
) -> None:
    """SELF-ALIGN: topic-guided questions answered under principles; rows without the principles."""
    from alignlab.train.generate import load_scaffold, self_align

    _generate(
        out,
        model,
        seed,
        max_new_tokens,
        temperature,
        lambda sampler, stats: self_align(
            sampler,
            scaffold=load_scaffold(scaffold),
            topics_per_type=topics,
            types=types,
            output=output,
            stats=stats,
            progress=_progress("Question types"),
        ),
    )


@data_app.command("from-policy")
def data_from_policy(
    out: OutOpt,
    bundle: Annotated[str, typer.Option(help="Policy bundle: general, medical or a folder")] = (
        "general"
    ),
    weight: Annotated[
        list[str] | None,
        typer.Option(help="Principle weight name=value (repeatable), e.g. helpfulness=0.5"),
    ] = None,
    samples: Annotated[int, typer.Option(help="Answers sampled per prompt")] = 4,
    min_margin: Annotated[float, typer.Option(help="Keep pairs whose rewards differ more")] = 0.05,
    prompts: PromptsOpt = None,
    limit: LimitOpt = None,
    model: ModelOpt = "alignlab/smollm2",
    seed: SeedOpt = 0,
    max_new_tokens: TokensOpt = 64,
    temperature: TempOpt = 0.8,
) -> None:
    """Pairs from policies: principle rewards rank sampled answers (best chosen, worst rejected)."""
    from alignlab.policy.principles import PrincipleReward
    from alignlab.train.generate import load_prompts, policy_pairs

    with _user_errors():
        weights = _weights(weight or [], "name")
        reward = PrincipleReward.for_bundle(bundle, weights or None)
        items = load_prompts(prompts, None, limit)
    _generate(
        out,
        model,
        seed,
        max_new_tokens,
        temperature,
        lambda sampler, stats: policy_pairs(
            sampler,
            items,
            reward,
            samples=samples,
            min_margin=min_margin,
            bundle=bundle,
            stats=stats,
            progress=_progress("Policy pairs"),
        ),
    )


def mix_heads_command(
    checkpoint: Annotated[Path, typer.Argument(help="A MAH-DPO model folder (alignlab align)")],
    weight: Annotated[
        list[str], typer.Option(help="Objective weight name=value (repeatable); renormalised")
    ],
    out: OutOpt,
) -> None:
    """Serve a multi-head (MAH-DPO) model under your objective weights as a plain checkpoint.

    The heads' logits mixed with the weights equal one head with the mixed
    weights, so the output runs anywhere: alignlab eval --model hf/OUT.
    """
    from alignlab.train.methods import mix_heads

    with _user_errors():
        weights = _weights(weight, "objective")
        target = mix_heads(checkpoint, weights, out)
    console.print(f"Wrote {target}. Evaluate it with: alignlab eval --model hf/{target}")
