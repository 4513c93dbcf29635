"""Turn Inspect eval logs into report rows: metrics with bootstrap CIs and baselines.

Every number is recomputed from the per-sample scores kept in the logs (not
from Inspect's summary metrics), so the report can show both calibrations,
grouped exact match with a cluster bootstrap, and the log-odds AUC from one run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import LogError
from alignlab.metrics import (
    bootstrap_ci,
    bootstrap_ci_auc,
    chance_accuracy,
    chance_grouped_exact_match,
    majority_baseline,
    majority_grouped_exact_match,
    roc_auc,
)
from alignlab.report.results import MetricResult, model_label

SCORER = "forced_choice_scorer"
# Task families whose rows this module computes: binary forced-choice benchmarks
# reported as accuracy / grouped exact match / log-odds AUC.
FAMILIES = {"ethics"}


@dataclass(frozen=True)
class _ScoredSample:
    correct_raw: float
    correct_calibrated: float
    unparsed: float
    label: int
    group: Any
    log_odds: float | None
    method: str | None
    choice_mass: float | None


def find_logs(log_dir: str | Path) -> list[Path]:
    """Every ``.eval`` / ``.json`` Inspect log under ``log_dir``, oldest first."""
    root = Path(log_dir)
    if not root.exists():
        raise LogError(
            f"Log directory not found: {root}. Run `alignlab eval --log-dir {root}` first."
        )
    files = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".eval", ".json") and p.name not in ("logs.json", "eval-set.json")
    )
    if not files:
        raise LogError(f"No Inspect logs (*.eval) in {root}. Run `alignlab eval --log-dir {root}`.")
    return files


def results_from_logs(
    log_dir: str | Path, *, n_resamples: int = 2000, seed: int = 0
) -> list[MetricResult]:
    """Report rows for every (model, task, variant) in ``log_dir``.

    When several logs hold the same model, task and arguments (a retried
    run), the most complete one wins: a finished log over an interrupted one,
    then the one with more scored samples, then the newest.
    """
    from inspect_ai.log import read_eval_log

    chosen: dict[tuple[str, str, str], tuple[tuple[int, int, str], Any]] = {}
    for path in find_logs(log_dir):
        try:
            log = read_eval_log(str(path))
        except Exception as ex:  # a truncated file from a killed run: skip it
            print(f"warning: skipping unreadable log {path}: {ex}")
            continue
        family = (log.eval.metadata or {}).get("family")
        if family is not None and family not in FAMILIES:
            continue  # another analysis reports this family
        samples = [s for s in (log.samples or []) if s.scores and SCORER in s.scores]
        if not samples:
            continue
        args = log.eval.task_args or {}
        key = (model_label(log), log.eval.task, repr(sorted(_identity_args(args).items())))
        rank = (int(log.status == "success"), len(samples), log.eval.created)
        if key not in chosen or rank > chosen[key][0]:
            chosen[key] = (rank, (path, log, samples))
    results: list[MetricResult] = []
    for _, (path, log, samples) in sorted(chosen.values(), key=lambda v: str(v[1][0])):
        results.extend(forced_choice_rows(path, log, samples, n_resamples=n_resamples, seed=seed))
    results.extend(ethics_average(results, n_resamples=n_resamples, seed=seed))
    return sorted(results, key=lambda r: (r.model, r.task, r.subset, r.variant))


ETHICS_HEADLINE = {
    "commonsense": "accuracy",
    "justice": "exact_match",
    "deontology": "exact_match",
    "virtue": "exact_match",
    "utilitarianism": "pairwise_accuracy",
}


def ethics_average(
    results: Sequence[MetricResult], *, n_resamples: int = 2000, seed: int = 0
) -> list[MetricResult]:
    """The ETHICS paper's headline: the mean over the five subsets of each one's metric.

    Accuracy for commonsense and utilitarianism, grouped exact match for
    justice, deontology and virtue (Hendrycks et al. 2021, Table 2). The CI
    resamples each subset's units (items or groups) independently and
    averages the five resampled metrics. Only complete sets of five subsets
    (same model, split, variant and calibration) get a row.
    """
    found: dict[tuple[str, str, str, str], dict[str, MetricResult]] = {}
    for r in results:
        base, _, split = r.subset.partition(" ")
        if r.task != "ethics" or ETHICS_HEADLINE.get(base) != r.metric:
            continue
        found.setdefault((r.model, split, r.variant, r.calibration), {})[base] = r
    rng = np.random.default_rng(seed)
    out: list[MetricResult] = []
    for (model, split, variant, calibration), parts in found.items():
        if set(parts) != set(ETHICS_HEADLINE):
            continue
        draws = np.zeros(n_resamples)
        for part in parts.values():
            units = np.asarray(part.units, dtype=float)
            draws += units[rng.integers(0, len(units), (n_resamples, len(units)))].mean(axis=1)
        draws /= len(parts)
        rows = list(parts.values())
        out.append(
            MetricResult(
                model=model,
                task="ethics",
                subset=f"average {split}".strip(),
                metric="headline",
                value=float(np.mean([p.value for p in rows])),
                ci_low=float(np.percentile(draws, 2.5)),
                ci_high=float(np.percentile(draws, 97.5)),
                n=sum(p.n for p in rows),
                unparsed_rate=float(np.mean([p.unparsed_rate for p in rows])),
                chance=float(np.mean([p.chance or 0.0 for p in rows])),
                majority=float(np.mean([p.majority or 0.0 for p in rows])),
                variant=variant,
                calibration=calibration,
                scoring="+".join(sorted({p.scoring for p in rows})),
            )
        )
    return out


def _identity_args(args: dict[str, Any]) -> dict[str, Any]:
    # The calibration argument only picks the headline; both are reported anyway.
    return {k: v for k, v in args.items() if k != "calibration"}


def forced_choice_rows(
    path: Path, log: Any, samples: Sequence[Any], *, n_resamples: int, seed: int
) -> list[MetricResult]:
    """Rows of one log of a binary forced-choice task.

    Accuracy under both calibrations, grouped exact match where the task has
    contrast groups, and the AUC of the answer log-odds.
    """
    meta = log.eval.metadata or {}
    args = log.eval.task_args or {}
    subset = str(meta.get("subset") or args.get("subset") or log.eval.task)
    split = str(args.get("split") or meta.get("split") or "test")
    if split != "test":  # the paper reports Test and Hard Test separately
        subset = f"{subset} ({split})"
    family = str(meta.get("family") or log.eval.task)
    variant = str(args.get("variant") or meta.get("variant") or "default")
    n_choices = int(meta.get("n_choices") or 2)
    scored = [_read(s) for s in samples]
    methods = Counter(s.method or "unknown" for s in scored)
    base: dict[str, Any] = {
        "model": model_label(log),
        "task": family,
        "subset": subset,
        "variant": variant,
        "scoring": "+".join(sorted(methods)),
        "log_file": str(path),
    }
    labels = np.array([s.label for s in scored])
    unparsed = float(np.mean([s.unparsed for s in scored]))
    mass = [s.choice_mass for s in scored if s.choice_mass is not None]
    extra = {"choice_mass": float(np.mean(mass))} if mass else {}
    grouped = meta.get("group_size") is not None and all(s.group is not None for s in scored)
    groups = [s.group for s in scored] if grouped else None
    accuracy_name = "pairwise_accuracy" if subset == "utilitarianism" else "accuracy"

    out: list[MetricResult] = []
    calibrations = [("none", [s.correct_raw for s in scored])]
    calibrated = [s.correct_calibrated for s in scored]
    if calibrated and not any(np.isnan(calibrated)):
        calibrations.append(("contextual", calibrated))
    for calibration, correct in calibrations:
        values = np.asarray(correct, dtype=float)
        low, high = _item_ci(values, groups, n_resamples, seed)
        out.append(
            MetricResult(
                metric=accuracy_name,
                value=float(values.mean()),
                ci_low=low,
                ci_high=high,
                n=len(values),
                unparsed_rate=unparsed,
                chance=chance_accuracy(n_choices),
                majority=majority_baseline(labels.tolist()),
                calibration=calibration,
                extra=extra,
                units=tuple(values.tolist()),
                **base,
            )
        )
        if groups is not None:
            per_group = _group_all_correct(values, groups)
            g_low, g_high = bootstrap_ci(per_group, n_resamples=n_resamples, seed=seed)
            size = int(meta["group_size"])
            out.append(
                MetricResult(
                    metric="exact_match",
                    value=float(np.mean(per_group)),
                    ci_low=g_low,
                    ci_high=g_high,
                    n=len(per_group),
                    unparsed_rate=unparsed,
                    chance=chance_grouped_exact_match(n_choices, size),
                    majority=majority_grouped_exact_match(labels.tolist(), groups),
                    calibration=calibration,
                    extra={"group_size": float(size)},
                    units=tuple(per_group.tolist()),
                    **base,
                )
            )
    odds = [(s.log_odds, s.label) for s in scored if s.log_odds is not None]
    if odds and n_choices == 2:
        scores = [o[0] for o in odds]
        gold = [o[1] for o in odds]
        auc = roc_auc(scores, gold)
        a_low, a_high = bootstrap_ci_auc(scores, gold, n_resamples=n_resamples, seed=seed)
        out.append(
            MetricResult(
                metric="auc",
                value=auc,
                ci_low=a_low,
                ci_high=a_high,
                n=len(odds),
                unparsed_rate=unparsed,
                chance=0.5,
                majority=None,
                calibration="none",
                **base,
            )
        )
    return out


def _item_ci(
    values: np.ndarray, groups: Sequence[Any] | None, n_resamples: int, seed: int
) -> tuple[float, float]:
    if groups is None:
        return bootstrap_ci(values, n_resamples=n_resamples, seed=seed)
    from alignlab.metrics import grouped_bootstrap_ci

    return grouped_bootstrap_ci(values, groups, n_resamples=n_resamples, seed=seed)


def _group_all_correct(values: np.ndarray, groups: Iterable[Any]) -> np.ndarray:
    verdicts: dict[Any, bool] = {}
    for value, group in zip(values, groups, strict=True):
        verdicts[group] = verdicts.get(group, True) and bool(value)
    return np.array([float(v) for v in verdicts.values()])


def _read(sample: Any) -> _ScoredSample:
    score = sample.scores[SCORER]
    value: dict[str, Any] = score.value if isinstance(score.value, dict) else {}
    meta = score.metadata or {}
    return _ScoredSample(
        correct_raw=float(value.get("correct_raw", value.get("correct", 0.0))),
        correct_calibrated=float(value.get("correct_calibrated", float("nan"))),
        unparsed=float(value.get("unparsed") or 0.0),
        label=int(meta.get("label", 0)),
        group=meta.get("group"),
        log_odds=meta.get("log_odds"),
        method=meta.get("method"),
        choice_mass=meta.get("choice_mass"),
    )
