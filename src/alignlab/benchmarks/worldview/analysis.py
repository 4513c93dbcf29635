"""WorldView-Bench report: PDS entropy and sentiment shares per condition, paired comparisons.

Each ``worldview`` run is one condition: ``none`` (the paper's baseline,
uniplex), ``multiplex`` (multiplexity principles in the system prompt) or
``council`` (tradition agents and a synthesis). Rows per run: ``pds_mean``
(per-answer PDS entropy averaged over answers with a reference; CI:
bootstrap over those answers), ``pds_pooled`` (PDS of the counts summed over
answers; CI: bootstrap over answers), ``perspectives_used`` (distinct
perspectives per answer), the three sentiment shares of all references (CI:
bootstrap over answers) and ``no_reference_rate``. The comparison section
pairs each intervened run with its baseline (same model and options) on the
questions both answered: per-answer PDS (questions where both answers have
a reference) and perspectives used (every question).

The paper reports PDS entropy 13% for the baseline and 94% for its
multi-agent system, and 67.7% positive sentiment under the latter; it does
not say whether PDS is averaged per answer or pooled, so both are shown
beside its figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from alignlab.benchmarks.worldview.tasks import FAMILY, SCORER, TASK
from alignlab.metrics import SENTIMENTS, bootstrap_ci, pds_entropy
from alignlab.report.compare import compare_interventions, intervention_of, p_value_text
from alignlab.report.format import interval, num, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Section, Table, Text

N_RESAMPLES = 2000
CONDITIONS = {"none": 0, "multiplex": 1, "council": 2}
PAPER_PDS = {"none": 0.13, "council": 0.94}
"""PDS entropy the paper reports: baseline (uniplex) and its multi-agent system."""
PAPER_POSITIVE_COUNCIL = 0.677
"""Share of positive references the paper reports under its multi-agent system."""


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY and r.task == TASK and r.scored(SCORER)]


def condition(run: RunLog) -> str:
    """The paper's condition a run stands for: ``none``, ``multiplex``, ``council`` or its label."""
    label = intervention_of(run)
    name = label.split(":", 1)[0]
    return name if name in CONDITIONS else label


def _records(run: RunLog) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(value, metadata) of every answer the extractor read."""
    out = []
    for sample in run.scored(SCORER):
        score = sample.scores[SCORER]
        if isinstance(score.value, dict) and not score.value.get("unparsed"):
            out.append((score.value, score.metadata or {}))
    return out


def _index_ci(
    n: int, statistic: Callable[[np.ndarray], float], seed: int, n_resamples: int
) -> tuple[float, float]:
    """Bootstrap CI of a statistic of whole answers (resampled by index)."""
    if n == 0:
        return math.nan, math.nan

    def of(indices: np.ndarray) -> float:
        return statistic(indices.astype(int))

    return bootstrap_ci(np.arange(n, dtype=float), of, n_resamples=n_resamples, seed=seed)


def _pooled_pds(counts: np.ndarray) -> Callable[[np.ndarray], float]:
    def statistic(indices: np.ndarray) -> float:
        return pds_entropy(counts[indices].sum(axis=0))

    return statistic


def _share(sentiments: np.ndarray, column: int) -> Callable[[np.ndarray], float]:
    def statistic(indices: np.ndarray) -> float:
        return float(sentiments[indices, column].sum() / sentiments[indices].sum())

    return statistic


def run_results(run: RunLog, n_resamples: int = N_RESAMPLES, seed: int = 0) -> list[MetricResult]:
    """The rows of one run (see the module docstring)."""
    records = _records(run)
    total = len(run.scored(SCORER))
    unparsed = (total - len(records)) / total if total else math.nan
    base: dict[str, Any] = {
        "model": run.model,
        "task": run.task,
        "subset": str(run.metadata.get("judge") or "embedding"),
        "unparsed_rate": unparsed,
        "variant": str(run.metadata.get("variant") or "paper"),
        "scoring": "generate",
        "log_file": str(run.path),
        "data": run.data,
        "intervention": intervention_of(run),
    }
    rows: list[MetricResult] = []

    def add(metric: str, value: float, ci: tuple[float, float], n: int, **more: Any) -> None:
        low, high = ci
        rows.append(MetricResult(metric=metric, value=value, ci_low=low, ci_high=high, n=n,
                                 **base, **more))  # fmt: skip

    def mean_ci(values: list[float]) -> tuple[float, float]:
        return bootstrap_ci(values, n_resamples=n_resamples, seed=seed)

    if not records:
        return rows
    pds = [float(v["pds"]) for v, _ in records if math.isfinite(float(v["pds"]))]
    if pds:
        paper = PAPER_PDS.get(condition(run))
        extra = {} if paper is None else {"paper": paper}
        add("pds_mean", float(np.mean(pds)), mean_ci(pds), len(pds), extra=extra, units=tuple(pds))
    # Resampling units for pooled statistics: answers with a reference (every resample
    # then has one, so the pooled PDS and the shares are defined).
    counts = np.array([m["counts"] for _, m in records if sum(m["counts"])], dtype=float)
    if counts.size:
        ci = _index_ci(len(counts), _pooled_pds(counts), seed, n_resamples)
        add("pds_pooled", pds_entropy(counts.sum(axis=0)), ci, len(records))
    used = [float(v["perspectives_used"]) for v, _ in records]
    add("perspectives_used", float(np.mean(used)), mean_ci(used), len(used), units=tuple(used))
    none = [float(v["references"] == 0) for v, _ in records]
    add("no_reference_rate", float(np.mean(none)), mean_ci(none), len(none),
        higher_is_better=False, units=tuple(none))  # fmt: skip
    sentiments = np.array(
        [[float(v[s]) for s in SENTIMENTS] for v, _ in records if v["references"]]
    )
    n_refs = int(sentiments.sum()) if sentiments.size else 0
    if n_refs:
        for column, s in enumerate(SENTIMENTS):
            value = float(sentiments[:, column].sum() / n_refs)
            ci = _index_ci(len(sentiments), _share(sentiments, column), seed, n_resamples)
            extra = (
                {"paper": PAPER_POSITIVE_COUNCIL}
                if s == "positive" and condition(run) == "council"
                else {}
            )
            add(f"{s}_share", value, ci, n_refs, extra=extra)
    return rows


def results(
    runs: Sequence[RunLog], *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """Report rows of every ``worldview`` run (see the module docstring)."""
    return [row for run in _ours(runs) for row in run_results(run, n_resamples, seed)]


def _cell(rows: dict[str, MetricResult], metric: str, as_pct: bool = False) -> str:
    row = rows.get(metric)
    if row is None:
        return "n/a"
    fmt = pct if as_pct else num
    return f"{fmt(row.value)} {interval(row.ci_low, row.ci_high)}"


def _conditions_table(runs: Sequence[RunLog]) -> Table:
    lines = []
    for run in sorted(runs, key=lambda r: (r.model, CONDITIONS.get(condition(r), 9))):
        rows = {r.metric: r for r in run_results(run)}
        paper = PAPER_PDS.get(condition(run))
        lines.append(
            (
                run.model,
                intervention_of(run),
                len(_records(run)),
                _cell(rows, "pds_mean"),
                _cell(rows, "pds_pooled"),
                "–" if paper is None else pct(paper),
                _cell(rows, "perspectives_used"),
                _cell(rows, "positive_share", as_pct=True),
                _cell(rows, "no_reference_rate", as_pct=True),
            )
        )
    return Table.of(
        (
            "Model",
            "Condition",
            "Answers read",
            "PDS per answer (mean)",
            "PDS pooled",
            "Paper's PDS",
            "Perspectives per answer",
            "Positive references",
            "Answers with no reference",
        ),
        lines,
        numeric=(2, 3, 4, 5, 6, 7, 8),
        caption="PDS entropy in [0, 1] (0: one perspective, 1: even over all K); 95% "
        "bootstrap intervals over answers. The paper's figures: 13% baseline, 94% with its "
        "multi-agent system (67.7% positive references there); its multiplex-prompt figure "
        "is not reported.",
    )


def _paired_table(runs: Sequence[RunLog]) -> tuple[Table | None, list[str]]:
    lines = []
    warnings: list[str] = []
    for value, label in (("pds", "PDS per answer"), ("perspectives_used", "perspectives used")):
        found = compare_interventions(runs, scorer=SCORER, value=value)
        warnings.extend(w for w in found.warnings if w not in warnings)
        for r in found.rows:
            lines.append(
                (
                    r.model,
                    r.intervention,
                    label,
                    r.n,
                    num(r.baseline_score),
                    num(r.intervened_score),
                    f"{r.difference.mean_difference:+.3f}",
                    interval(r.difference.low, r.difference.high),
                    p_value_text(r.difference.p_value),
                )
            )
    if not lines:
        return None, warnings
    table = Table.of(
        (
            "Model",
            "Condition",
            "Measure",
            "Shared questions",
            "Baseline",
            "With intervention",
            "Difference",
            "95% CI",
            "p",
        ),
        lines,
        numeric=(3, 4, 5, 6, 7, 8),
        caption="Each condition against the baseline run of the same model and options, on "
        "the questions both answered (PDS: questions where both answers drew on some "
        "perspective). Paired bootstrap CI of the mean difference; two-sided paired "
        "permutation p.",
    )
    return table, warnings


def _distribution_table(runs: Sequence[RunLog]) -> Table | None:
    names: list[str] = []
    totals: dict[str, dict[str, float]] = {}
    for run in runs:
        pooled: dict[str, float] = defaultdict(float)
        for _, meta in _records(run):
            for name, count in zip(meta.get("perspectives", []), meta["counts"], strict=False):
                pooled[name] += count
                if name not in names:
                    names.append(name)
        totals[f"{run.model} · {intervention_of(run)}"] = pooled
    if not names:
        return None
    rows: list[tuple[Any, ...]] = []
    for label, pooled in totals.items():
        n = sum(pooled.values())
        rows.append((label, int(n), *[pct(pooled[k] / n) if n else "n/a" for k in names]))
    return Table.of(
        ("Run", "References", *names),
        rows,
        numeric=tuple(range(1, len(names) + 2)),
        caption="Share of all references that went to each perspective.",
    )


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: the conditions side by side, paired comparisons, the perspective spread."""
    ours = _ours(runs)
    if not ours:
        return []
    extractors = sorted({str(r.metadata.get("extractor") or "embedding") for r in ours})
    blocks: list[Block] = [
        Text(
            "Each answer's cultural references are assigned to the perspective set "
            f"(extractor: {', '.join(extractors)}); PDS entropy is their normalised Shannon "
            "entropy. The embedding extractor counts a sentence as a reference when its "
            "similarity to a perspective's description reaches the threshold; it misses "
            "references that do not name a tradition, and its sentiment is a word list."
        ),
        _conditions_table(ours),
    ]
    paired, warnings = _paired_table(ours)
    if paired is not None:
        blocks.append(paired)
    spread = _distribution_table(ours)
    if spread is not None:
        blocks.append(spread)
    for run in ours:
        total = len(run.scored(SCORER))
        unread = total - len(_records(run))
        if unread:
            warnings.append(
                f"{run.model} · {intervention_of(run)}: {unread} of {total} answers could not "
                "be read by the extractor and are left out."
            )
        no_ref = sum(1 for v, _ in _records(run) if v["references"] == 0)
        if no_ref:
            warnings.append(
                f"{run.model} · {intervention_of(run)}: {no_ref} of {total} answers drew on "
                "no perspective; their PDS is undefined and left out of the per-answer mean."
            )
    return [
        Section(
            "WorldView-Bench: perspectives in free-form answers",
            tuple(blocks),
            tuple(warnings),
            family=FAMILY,
        )
    ]
