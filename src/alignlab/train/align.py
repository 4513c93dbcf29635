"""``alignlab align RECIPE.yaml``: data -> train -> evaluate before and after -> one report.

The base model and the trained one are evaluated by the same engine
(transformers, ``hf/<checkpoint>``; the bundled GGUF is converted once, see
:mod:`alignlab.train.convert`) on the same items, so the per-item scores pair
up: accuracy differences get the platform's paired bootstrap CI and paired
permutation p-value (:func:`alignlab.metrics.paired_difference`), and log-odds
AUC differences a paired bootstrap CI and a paired permutation p-value over
items (:func:`paired_auc_difference`). Every step resumes: training from its
newest checkpoint, evaluation from Inspect's eval-set logs.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import ModelError
from alignlab.metrics import bootstrap_ci, paired_difference, roc_auc
from alignlab.report.compare import p_value_text
from alignlab.report.format import interval, num
from alignlab.train.recipe import Recipe

SCORER = "forced_choice_scorer"


def base_checkpoint(model: str) -> Path:
    """The HF checkpoint a recipe's ``model`` names (the bundled model is converted once)."""
    from alignlab.models.bundled import BUNDLED_NAME

    if model in (f"alignlab/{BUNDLED_NAME}", BUNDLED_NAME):
        from alignlab.train.convert import bundled_checkpoint

        return bundled_checkpoint()
    if model.startswith("hf/"):
        path = Path(model[3:]).expanduser()
        if (path / "config.json").is_file():
            return path
        raise ModelError(f"{model}: no Hugging Face checkpoint (config.json) at {path}")
    raise ModelError(
        f"Unknown model '{model}' for training; use 'alignlab/{BUNDLED_NAME}' (the bundled model) "
        "or 'hf/<local checkpoint folder>'"
    )


@dataclass(frozen=True)
class ItemScores:
    """Per-item results of one run: correct (0/1), log-odds of the second answer, gold index."""

    ids: list[str]
    correct: list[float]
    log_odds: list[float | None]
    labels: list[int]
    groups: list[Any]


def item_scores(log_file: str) -> ItemScores:
    """The forced-choice scores of every sample in an Inspect log, sorted by sample id."""
    from inspect_ai.log import read_eval_log

    log = read_eval_log(log_file)
    rows = []
    for sample in log.samples or []:
        score = (sample.scores or {}).get(SCORER)
        if score is None or not isinstance(score.value, dict):
            continue
        meta = score.metadata or {}
        rows.append(
            (
                str(sample.id),
                float(score.value["correct"]),
                meta.get("log_odds"),
                int(meta["label"]),
                meta.get("group"),
            )
        )
    rows.sort()
    return ItemScores(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
    )


@dataclass(frozen=True)
class AucDifference:
    """Paired AUC comparison: the two AUCs, their difference, a bootstrap CI and a p-value."""

    before: float
    after: float
    difference: float
    low: float
    high: float
    p_value: float
    n: int


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    # ties share their mean rank
    for value in np.unique(x):
        mask = x == value
        if mask.sum() > 1:
            ranks[mask] = ranks[mask].mean()
    return ranks / max(1, len(x) - 1)


def paired_auc_difference(
    before: Sequence[float],
    after: Sequence[float],
    labels: Sequence[int],
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    n_permutations: int = 2000,
    seed: int = 0,
) -> AucDifference:
    """AUC(after) - AUC(before) of two scorings of the same items.

    CI: percentile bootstrap resampling items (both scorings with the same
    indices; resamples with one class only are skipped). p: two-sided
    permutation test that swaps the two scorings of random items, each scoring
    first replaced by its normalised ranks so the swap is between like scales
    (AUC depends on ranks only, so both AUCs are unchanged by this).
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    y = np.asarray(labels, dtype=int)
    if not (len(a) == len(b) == len(y)):
        raise ValueError("before, after and labels must have the same length")
    auc_a, auc_b = roc_auc(a, y), roc_auc(b, y)
    observed = auc_b - auc_a
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_resamples):
        idx = rng.integers(0, len(y), len(y))
        if len(set(y[idx].tolist())) < 2:
            continue
        diffs.append(roc_auc(b[idx], y[idx]) - roc_auc(a[idx], y[idx]))
    alpha = 1 - confidence
    low, high = (
        (float(np.quantile(diffs, alpha / 2)), float(np.quantile(diffs, 1 - alpha / 2)))
        if diffs
        else (math.nan, math.nan)
    )
    ra, rb = _ranks(a), _ranks(b)
    extreme = 0
    for _ in range(n_permutations):
        swap = rng.random(len(y)) < 0.5
        pa = np.where(swap, rb, ra)
        pb = np.where(swap, ra, rb)
        if abs(roc_auc(pb, y) - roc_auc(pa, y)) >= abs(observed) - 1e-12:
            extreme += 1
    p = (extreme + 1) / (n_permutations + 1)
    return AucDifference(auc_a, auc_b, observed, low, high, p, len(y))


@dataclass(frozen=True)
class ComparisonRow:
    """One metric of one task and wording, before and after, with the paired difference."""

    task: str
    variant: str
    metric: str
    n: int
    before: float
    before_ci: tuple[float, float]
    after: float
    after_ci: tuple[float, float]
    difference: float
    difference_ci: tuple[float, float]
    p_value: float
    baseline: float | None
    baseline_name: str


def compare_runs(
    task: str, variant: str, before: ItemScores, after: ItemScores
) -> list[ComparisonRow]:
    """Accuracy and log-odds AUC rows for one task and wording, on the items both runs scored."""
    from alignlab.metrics import bootstrap_ci_auc

    shared = sorted(set(before.ids) & set(after.ids))
    ib = {i: k for k, i in enumerate(before.ids)}
    ia = {i: k for k, i in enumerate(after.ids)}
    cb = [before.correct[ib[i]] for i in shared]
    ca = [after.correct[ia[i]] for i in shared]
    labels = [before.labels[ib[i]] for i in shared]
    groups = [before.groups[ib[i]] for i in shared]
    grouped = all(g is not None for g in groups) and len(set(groups)) < len(groups)
    majority = max(labels.count(0), labels.count(1)) / len(labels) if labels else math.nan
    acc = paired_difference(cb, ca, group_ids=groups if grouped else None)
    rows = [
        ComparisonRow(
            task,
            variant,
            "accuracy",
            len(shared),
            float(np.mean(cb)),
            bootstrap_ci(cb),
            float(np.mean(ca)),
            bootstrap_ci(ca),
            acc.mean_difference,
            (acc.low, acc.high),
            acc.p_value,
            majority,
            "majority",
        )
    ]
    lb = [before.log_odds[ib[i]] for i in shared]
    la = [after.log_odds[ia[i]] for i in shared]
    if all(x is not None for x in lb + la) and len(set(labels)) == 2:
        fb = [float(x) for x in lb if x is not None]
        fa = [float(x) for x in la if x is not None]
        auc = paired_auc_difference(fb, fa, labels)
        rows.append(
            ComparisonRow(
                task,
                variant,
                "log-odds AUC",
                len(shared),
                auc.before,
                bootstrap_ci_auc(fb, labels),
                auc.after,
                bootstrap_ci_auc(fa, labels),
                auc.difference,
                (auc.low, auc.high),
                auc.p_value,
                0.5,
                "chance",
            )
        )
    return rows


def comparison_markdown(rows: Sequence[ComparisonRow]) -> str:
    """The before/after table as Markdown."""
    head = (
        "| Task | Wording | Metric | Items | Baseline | Before [95% CI] | After [95% CI] "
        "| Difference [95% CI] | p |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        base = "" if r.baseline is None else f"{num(r.baseline)} ({r.baseline_name})"
        lines.append(
            f"| {r.task} | {r.variant} | {r.metric} | {r.n} | {base} "
            f"| {num(r.before)} {interval(*r.before_ci)} | {num(r.after)} {interval(*r.after_ci)} "
            f"| {r.difference:+.3f} {interval(*r.difference_ci)} | {p_value_text(r.p_value)} |"
        )
    return head + "\n".join(lines) + "\n"


@dataclass(frozen=True)
class AlignOutcome:
    """What one ``alignlab align`` run produced."""

    output: Path
    model_dir: Path
    gguf: Path | None
    rows: list[ComparisonRow]
    report: Path
    timings: dict[str, float]


def _evaluate(
    recipe: Recipe, checkpoint: Path, log_dir: Path, say: Callable[[str], None]
) -> dict[tuple[str, str], ItemScores]:
    from alignlab.runner import run_eval

    found: dict[tuple[str, str], ItemScores] = {}
    for variant in recipe.eval.variants:
        outcome = run_eval(
            model=f"hf/{checkpoint.resolve()}",
            tasks=list(recipe.eval.tasks),
            log_dir=log_dir / variant,
            limit=recipe.eval.limit,
            task_args={"variant": variant},
            model_args={"batch_size": recipe.eval.batch_size},
            display="none",
            warn=say,
        )
        if not outcome.success:
            raise ModelError(f"evaluation in {log_dir / variant} did not finish; run again")
        for log_file in outcome.log_files:
            from inspect_ai.log import read_eval_log

            header = read_eval_log(log_file, header_only=True)
            found[(header.eval.task.split("/")[-1], variant)] = item_scores(log_file)
    return found


def run_align(recipe: Recipe, say: Callable[[str], None] = print) -> AlignOutcome:
    """Run a recipe end to end; each finished step is kept, so a re-run resumes."""
    from alignlab.train.trainers import train

    out = recipe.output_dir
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    base = base_checkpoint(recipe.model)
    timings["prepare_s"] = time.perf_counter() - start
    say(f"Base checkpoint: {base}")
    t = time.perf_counter()
    before = _evaluate(recipe, base, out / "logs" / "before", say)
    timings["eval_before_s"] = time.perf_counter() - t
    say(f"Training ({recipe.method}, {'LoRA' if recipe.lora else 'full'}) into {out / 'model'}")
    t = time.perf_counter()
    trained = train(recipe, base, out)
    timings["train_s"] = time.perf_counter() - t
    t = time.perf_counter()
    after = _evaluate(recipe, trained.model_dir, out / "logs" / "after", say)
    timings["eval_after_s"] = time.perf_counter() - t
    gguf = None
    if recipe.export_gguf:
        from alignlab.train.convert import export_gguf

        t = time.perf_counter()
        gguf = export_gguf(trained.model_dir, out / "model.gguf", tensor_type=recipe.export_gguf)
        timings["export_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - start
    rows: list[ComparisonRow] = []
    for key in sorted(before):
        if key in after:
            rows.extend(compare_runs(key[0], key[1], before[key], after[key]))
    report = out / "report.md"
    losses = trained.losses
    report.write_text(
        f"# alignlab align: {recipe.path.name}\n\n"
        f"Method {recipe.method} ({'LoRA' if recipe.lora else 'full fine-tuning'}) on "
        f"{trained.rows} training rows; base `{base}`, trained `{trained.model_dir}`"
        + (f", GGUF `{gguf}`" if gguf else "")
        + ".\n\n"
        f"Training loss: first {num(losses[0]) if losses else '-'}, "
        f"last {num(losses[-1]) if losses else '-'} over {len(losses)} logged steps.\n\n"
        + comparison_markdown(rows)
        + "\nAccuracy: paired bootstrap CI of the mean difference and paired permutation p "
        "(alignlab.metrics.paired_difference). AUC: paired item bootstrap CI and paired "
        "permutation p on ranks. Both runs use the transformers engine on the same items.\n\n"
        + "Timings (s): "
        + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
        + "\n"
    )
    (out / "report.json").write_text(
        json.dumps(
            {"rows": [asdict(r) for r in rows], "timings": timings, "losses": losses},
            indent=2,
        )
        + "\n"
    )
    return AlignOutcome(out, trained.model_dir, gguf, rows, report, timings)


__all__ = [
    "AlignOutcome",
    "AucDifference",
    "ComparisonRow",
    "ItemScores",
    "base_checkpoint",
    "compare_runs",
    "comparison_markdown",
    "item_scores",
    "paired_auc_difference",
    "run_align",
]
