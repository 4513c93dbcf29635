"""Two runs on the items both scored: paired CIs and p-values per metric, Holm, flipped items.

``alignlab compare A B`` takes run ids of the run index or two log
directories (or log files). Runs are paired by task and options (the model,
the intervention and the item limit may differ: that is what is compared),
items by sample id (the mean over epochs). Every per-item score a run's
scorers store becomes a metric: a forced-choice run's ``correct``, its raw
and calibrated correctness and ``unparsed``; a plain Inspect task's
``C``/``I`` scores as 1/0. For each metric, the mean difference B - A gets a
paired bootstrap 95% CI and a two-sided paired permutation p-value
(:func:`alignlab.metrics.paired_difference`), Cohen's d_z as its effect size,
and a Holm-adjusted p-value over all the metrics compared
(:func:`alignlab.metrics.holm_adjust`). When two directories pair several
tasks, :func:`holm_across` also adjusts over every metric of every pair (the
whole family of tests the command reports). Items whose 0/1 score changed are
listed both ways.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.errors import AlignlabError, LogError
from alignlab.metrics import PairedDifference, cohens_dz, holm_adjust, paired_difference
from alignlab.report.logs import RunLog, identity_args, load_logs

# Arguments that may differ between the two sides of a comparison (items are matched by id).
_COMPARED_ARGS = frozenset({"intervention", "limit", "seed"})


@dataclass(frozen=True)
class MetricComparison:
    """One per-item metric of run A against run B on their shared items."""

    metric: str
    mean_a: float
    mean_b: float
    difference: PairedDifference
    effect_size: float
    p_holm: float
    binary: bool
    p_holm_all: float = math.nan
    """Holm over every metric of every pair compared together (:func:`holm_across`)."""

    @property
    def n(self) -> int:
        return self.difference.n


@dataclass(frozen=True)
class Flip:
    """An item whose 0/1 score differs between the runs."""

    item: str
    metric: str
    a: float
    b: float


@dataclass(frozen=True)
class RunComparison:
    """Run A against run B: per-metric comparisons, flipped items, and what was left out."""

    task: str
    a_label: str
    b_label: str
    a_log: str
    b_log: str
    shared: int
    only_a: int
    only_b: int
    metrics: tuple[MetricComparison, ...]
    flips: tuple[Flip, ...] = ()
    notes: tuple[str, ...] = field(default=())


def holm_across(comparisons: Sequence[RunComparison]) -> list[RunComparison]:
    """``comparisons`` with ``p_holm_all``: Holm over all their metrics as one family.

    Within one pair, ``p_holm`` adjusts over that pair's metrics; comparing
    several tasks at once tests more hypotheses, and ``p_holm_all`` controls
    the family-wise error over all of them.
    """
    from dataclasses import replace

    flat = [m.difference.p_value for c in comparisons for m in c.metrics]
    adjusted = iter(holm_adjust(flat))
    return [
        replace(c, metrics=tuple(replace(m, p_holm_all=next(adjusted)) for m in c.metrics))
        for c in comparisons
    ]


def run_label(run: RunLog) -> str:
    """How a side is named: the model, and the intervention when there is one."""
    from alignlab.report.compare import intervention_of

    label = intervention_of(run)
    return run.model if label == "none" else f"{run.model} + {label}"


def per_item_scores(run: RunLog) -> dict[str, dict[str, float]]:
    """Metric name -> sample id -> score (mean over epochs), for every numeric per-item score.

    A scorer storing a dict gives one metric per numeric entry (``scorer.key``,
    or just ``key`` for alignlab's forced-choice scorer); a scalar score gives
    one metric named after the scorer, ``C``/``I``-style values read by
    Inspect's ``value_to_float``.
    """
    from inspect_ai.scorer import value_to_float

    to_float = value_to_float()
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for sample in run.samples:
        for scorer, score in (sample.scores or {}).items():
            value = score.value
            entries: dict[str, Any]
            if isinstance(value, dict):
                prefix = "" if scorer == "forced_choice_scorer" else f"{scorer}."
                entries = {f"{prefix}{k}": v for k, v in value.items()}
            else:
                entries = {scorer: value}
            for name, raw in entries.items():
                if raw is None or isinstance(raw, list | dict):
                    continue
                if isinstance(raw, int | float) and not isinstance(raw, bool):
                    x = float(raw)
                else:
                    try:
                        x = float(to_float(raw))
                    except Exception:
                        continue
                if math.isfinite(x):
                    sums[name][str(sample.id)].append(x)
    return {
        name: {sid: sum(v) / len(v) for sid, v in items.items()} for name, items in sums.items()
    }


def compare_runs(
    a: RunLog,
    b: RunLog,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    n_permutations: int = 9999,
    seed: int = 0,
) -> RunComparison:
    """Compare run ``b`` with run ``a`` on the items both scored (differences are B - A).

    Raises:
        LogError: a log has no per-item scores (an interrupted run, or a log
            from an older version), or the runs share no scored item.
    """
    scores_a = _scores_or_fail(a)
    scores_b = _scores_or_fail(b)
    names = [m for m in scores_a if m in scores_b]
    ids_a = set().union(*scores_a.values())
    ids_b = set().union(*scores_b.values())
    shared_ids = ids_a & ids_b
    if not names or not shared_ids:
        raise LogError(
            f"{a.path} and {b.path} share no scored item under the same metric: they are "
            f"not runs of the same task on the same data ({a.task} vs {b.task})."
        )
    rows: list[tuple[str, list[float], list[float], list[str]]] = []
    notes: list[str] = []
    seen: dict[tuple[tuple[float, ...], tuple[float, ...]], str] = {}
    for name in names:
        ids = sorted(set(scores_a[name]) & set(scores_b[name]))
        if not ids:
            continue
        xa = [scores_a[name][i] for i in ids]
        xb = [scores_b[name][i] for i in ids]
        signature = (tuple(xa), tuple(xb))
        if signature in seen:  # ``correct`` is ``correct_raw`` on an uncalibrated run
            notes.append(f"{name} equals {seen[signature]} item by item: shown once")
            continue
        seen[signature] = name
        rows.append((name, xa, xb, ids))
    differences = [
        paired_difference(
            xa,
            xb,
            confidence=confidence,
            n_bootstrap=n_bootstrap,
            n_permutations=n_permutations,
            seed=seed,
        )
        for _, xa, xb, _ in rows
    ]
    adjusted = holm_adjust([d.p_value for d in differences])
    metrics = []
    flips: list[Flip] = []
    for (name, xa, xb, ids), diff, p_holm in zip(rows, differences, adjusted, strict=True):
        binary = all(x in (0.0, 1.0) for x in (*xa, *xb))
        metrics.append(
            MetricComparison(
                metric=name,
                mean_a=sum(xa) / len(xa),
                mean_b=sum(xb) / len(xb),
                difference=diff,
                effect_size=cohens_dz(xa, xb),
                p_holm=p_holm,
                binary=binary,
            )
        )
        if binary:
            flips.extend(Flip(i, name, x, y) for i, x, y in zip(ids, xa, xb, strict=True) if x != y)
    return RunComparison(
        task=a.task if a.task == b.task else f"{a.task} / {b.task}",
        a_label=run_label(a),
        b_label=run_label(b),
        a_log=str(a.path),
        b_log=str(b.path),
        shared=len(shared_ids),
        only_a=len(ids_a - shared_ids),
        only_b=len(ids_b - shared_ids),
        metrics=tuple(metrics),
        flips=tuple(flips),
        notes=tuple(notes),
    )


def _scores_or_fail(run: RunLog) -> dict[str, dict[str, float]]:
    try:
        scores = per_item_scores(run)
    except Exception as ex:
        raise LogError(
            f"Cannot read the samples of {run.path} ({type(ex).__name__}): the log may be "
            "truncated or from an older Inspect version; re-run it."
        ) from None
    if not scores:
        raise LogError(
            f"{run.path} holds no per-item scores ({run.status} run of {run.task}): an "
            "interrupted run, or a log from an older version; re-run it to compare."
        )
    return scores


# --- what the two sides are --------------------------------------------------------------------


def resolve_side(spec: str, index_url: str | None = None) -> list[RunLog]:
    """The runs ``spec`` names: a log directory, a log file, or a run id of the run index.

    Raises:
        LogError: a missing directory or file, or an indexed run whose log is gone.
        StoreError: an unknown or ambiguous run id.
    """
    from inspect_ai.log import read_eval_log

    path = Path(spec)
    if path.is_dir():
        return list(load_logs(path).runs)
    if not path.exists() and not path.suffix:
        from alignlab.store.runs import get_run

        record = get_run(spec, index_url)
        path = Path(record.log_path)
        if not path.exists():
            raise LogError(
                f"Run {record.eval_id}'s log is gone: {path} (moved or deleted). Index its new "
                "place with `alignlab runs --add LOGDIR`."
            )
    if not path.exists():
        raise LogError(f"No log directory, log file or run id '{spec}'.")
    try:
        header = read_eval_log(str(path), header_only=True)
    except Exception as ex:
        raise LogError(
            f"Cannot read {path} as an Inspect log ({type(ex).__name__}): not a log, a "
            "truncated one, or one from an older Inspect version."
        ) from None
    return [RunLog(path, header)]


def _pair_key(run: RunLog) -> tuple[str, str]:
    args = {k: v for k, v in identity_args(run.args).items() if k not in _COMPARED_ARGS}
    return (run.task, repr(sorted(args.items())))


def pair_runs(
    side_a: Sequence[RunLog], side_b: Sequence[RunLog]
) -> tuple[list[tuple[RunLog, RunLog]], list[str]]:
    """Pair the runs of two sides by task and options; the lines say what stayed unpaired.

    Raises:
        AlignlabError: nothing pairs up.
    """
    if len(side_a) == 1 and len(side_b) == 1:
        return [(side_a[0], side_b[0])], []
    by_a: dict[tuple[str, str], list[RunLog]] = defaultdict(list)
    by_b: dict[tuple[str, str], list[RunLog]] = defaultdict(list)
    for run in side_a:
        by_a[_pair_key(run)].append(run)
    for run in side_b:
        by_b[_pair_key(run)].append(run)
    pairs = []
    notes = []
    for key in sorted(set(by_a) | set(by_b)):
        a, b = by_a.get(key, []), by_b.get(key, [])
        if len(a) == 1 and len(b) == 1:
            pairs.append((a[0], b[0]))
        elif a and b:
            notes.append(
                f"{key[0]}: {len(a)} run(s) against {len(b)} with the same options; pass run "
                "ids (`alignlab runs`) to pick two"
            )
        else:
            notes.append(f"{key[0]}: only in {'A' if a else 'B'}, not compared")
    if not pairs:
        raise AlignlabError(
            "No run of A has a counterpart in B (same task and options): " + "; ".join(notes)
        )
    return pairs, notes


__all__ = [
    "Flip",
    "MetricComparison",
    "RunComparison",
    "compare_runs",
    "pair_runs",
    "per_item_scores",
    "resolve_side",
    "run_label",
]
