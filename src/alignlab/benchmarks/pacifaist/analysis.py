"""PacifAIst report: P-Score and refusal rate per subcategory, and interventions against baseline.

* rows (:func:`results`): per run, ``p_score`` (multiple-choice items; chance
  = a uniform random letter, majority = always the most frequent gold letter
  as shown) and ``refusal_rate`` (all items), each overall (subset ``all``)
  and per subcategory EP1-EP3, with percentile-bootstrap CIs; in percent, as
  the paper reports them;
* sections (:func:`sections`): the per-subcategory table, and each
  intervened run against its baseline (same model and options, intervention
  ``none``) on the items both scored: the move in P-Score and in refusal
  rate with paired bootstrap CIs and permutation p-values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from alignlab.benchmarks.pacifaist.data import SUBCATEGORIES
from alignlab.benchmarks.pacifaist.tasks import SCORER_NAME, pacifaist_numbers, unit_of
from alignlab.report.compare import compare_interventions, p_value_text
from alignlab.report.format import interval, num
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section, Table, Text

FAMILY = "pacifaist"
SUBSETS = ("all", *SUBCATEGORIES)


def run_numbers(run: RunLog) -> dict[str, float]:
    """The numbers of one run, from its scored samples (the task's metric function)."""
    units = [unit_of(s.scores[SCORER_NAME]) for s in run.scored(SCORER_NAME)]
    return pacifaist_numbers([u for u in units if u is not None])


def _subset_key(subset: str) -> str:
    return "" if subset == "all" else f".{subset}"


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """P-Score and refusal-rate rows of every PacifAIst run, per subcategory."""
    rows: list[MetricResult] = []
    for run in runs:
        if run.family != FAMILY:
            continue
        numbers = run_numbers(run)
        base: dict[str, Any] = {
            "model": run.model,
            "task": run.task,
            "variant": str(run.metadata.get("variant") or "paper"),
            "calibration": str(run.metadata.get("calibration") or "none"),
            "scoring": str(run.metadata.get("scoring") or "generate"),
            "log_file": str(run.path),
            "data": run.data,
            "intervention": str(run.metadata.get("intervention") or "none"),
        }
        for subset in SUBSETS:
            key = _subset_key(subset)
            if f"n{key}" not in numbers:
                continue
            unparsed = numbers.get(f"unparsed_rate{key}", math.nan)
            if f"p_score{key}" in numbers:
                rows.append(
                    MetricResult(
                        **base,
                        subset=subset,
                        metric="p_score",
                        value=numbers[f"p_score{key}"],
                        ci_low=numbers[f"p_score{key}.ci_low"],
                        ci_high=numbers[f"p_score{key}.ci_high"],
                        n=int(numbers[f"n_mc{key}"]),
                        unparsed_rate=unparsed,
                        chance=numbers.get(f"p_score{key}.chance"),
                        majority=numbers.get(f"p_score{key}.majority"),
                    )
                )
            rows.append(
                MetricResult(
                    **base,
                    subset=subset,
                    metric="refusal_rate",
                    value=numbers[f"refusal_rate{key}"],
                    ci_low=numbers[f"refusal_rate{key}.ci_low"],
                    ci_high=numbers[f"refusal_rate{key}.ci_high"],
                    n=int(numbers[f"n{key}"]),
                    unparsed_rate=unparsed,
                )
            )
    return rows


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """The per-subcategory table and the intervention comparison."""
    own = [r for r in runs if r.family == FAMILY]
    if not own:
        return []
    table_rows = []
    for run in own:
        numbers = run_numbers(run)
        for subset in SUBSETS:
            key = _subset_key(subset)
            if f"n{key}" not in numbers:
                continue
            table_rows.append(
                (
                    run.model,
                    str(run.metadata.get("variant") or "paper"),
                    str(run.metadata.get("intervention") or "none"),
                    subset if subset == "all" else f"{subset} {SUBCATEGORIES[subset]}",
                    int(numbers[f"n_mc{key}"]),
                    num(numbers.get(f"p_score{key}")),
                    interval(
                        numbers.get(f"p_score{key}.ci_low"), numbers.get(f"p_score{key}.ci_high")
                    ),
                    num(numbers.get(f"p_score{key}.majority")),
                    int(numbers[f"n{key}"]),
                    num(numbers[f"refusal_rate{key}"]),
                    interval(
                        numbers[f"refusal_rate{key}.ci_low"], numbers[f"refusal_rate{key}.ci_high"]
                    ),
                )
            )
    blocks: list[Text | Table] = [
        Table.of(
            (
                "Model",
                "Variant",
                "Intervention",
                "Subcategory",
                "MC items",
                "P-Score",
                "95% CI",
                "Always-one-letter",
                "Items",
                "Refusal %",
                "95% CI",
            ),
            table_rows,
            numeric=(4, 5, 6, 7, 8, 9, 10),
            caption="P-Score: % of multiple-choice items where the pacifist option was chosen "
            "(unreadable answers count as not pacifist). Refusal: % of all items refused by the "
            "paper's keyword rule. Always-one-letter: the P-Score of always answering the most "
            "frequent gold letter as shown.",
        )
    ]
    comparison = _comparison_blocks(own)
    out = [Section(title="PacifAIst per subcategory", blocks=tuple(blocks), family=FAMILY)]
    if comparison is not None:
        out.append(comparison)
    return out


def _comparison_blocks(runs: Sequence[RunLog]) -> Section | None:
    lines = []
    warnings: list[str] = []
    for value, label in (("pacifist", "P-Score"), ("refusal", "Refusal %")):
        found = compare_interventions(runs, scorer=SCORER_NAME, value=value)
        warnings.extend(w for w in found.warnings if w not in warnings)
        for r in found.rows:
            d = r.difference
            lines.append(
                (
                    r.model,
                    r.intervention,
                    label,
                    r.n,
                    num(100 * r.baseline_score),
                    num(100 * r.intervened_score),
                    f"{100 * d.mean_difference:+.1f}",
                    interval(100 * d.low, 100 * d.high),
                    p_value_text(d.p_value),
                )
            )
    if not lines and not warnings:
        return None
    blocks: list[Text | Table] = [
        Text(
            "Each intervened run against the run of the same model and options without "
            "intervention, on the items both scored: the move in P-Score (multiple-choice items) "
            "and in refusal rate (all items), in percentage points, with a paired bootstrap 95% "
            "CI and a two-sided paired permutation p-value."
        )
    ]
    if lines:
        blocks.append(
            Table.of(
                (
                    "Model",
                    "Intervention",
                    "Metric",
                    "Shared items",
                    "Baseline",
                    "With intervention",
                    "Move (pp)",
                    "95% CI",
                    "p",
                ),
                lines,
                numeric=(3, 4, 5, 6, 7, 8),
            )
        )
    return Section(
        title="PacifAIst: interventions against their baselines",
        blocks=tuple(blocks),
        warnings=tuple(warnings),
        family=FAMILY,
    )
