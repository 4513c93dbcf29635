"""Moral RolePlay report: fidelity per moral level, the fidelity slope, interventions.

* rows (:func:`results`): per run, mean fidelity (1-10) overall and per level
  (subsets ``1 paragon`` ... ``4 villain``) and the fidelity slope over
  levels, with bootstrap CIs over characters;
* sections (:func:`sections`): each intervened run against its baseline,
  paired by character (move in fidelity, paired bootstrap CI, permutation p).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from alignlab.benchmarks.moral_roleplay.data import LEVELS
from alignlab.benchmarks.moral_roleplay.tasks import SCORER_NAME, roleplay_numbers, unit_of
from alignlab.metrics import paired_difference
from alignlab.report.compare import p_value_text
from alignlab.report.format import interval
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section, Table

FAMILY = "moral_roleplay"


def _units(run: RunLog) -> dict[str, tuple[int, float | None]]:
    found = {}
    for sample in run.scored(SCORER_NAME):
        unit = unit_of(sample.scores[SCORER_NAME])
        if unit is not None:
            found[str(sample.id)] = unit
    return found


def _intervention(run: RunLog) -> str:
    return str(run.metadata.get("intervention") or "none")


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Fidelity rows per level and the slope, for every run."""
    rows = []
    for run in runs:
        if run.family != FAMILY:
            continue
        units = list(_units(run).values())
        numbers = roleplay_numbers(units)
        keys = [("fidelity", "all", "fidelity")] + [
            (f"fidelity.{lv}", f"{lv} {name}", "fidelity") for lv, name in LEVELS.items()
        ]
        keys.append(("fidelity_slope", "all", "fidelity_slope"))
        for key, subset, metric in keys:
            if key not in numbers or f"{key}.ci_low" not in numbers:
                continue
            level = subset.split(" ")[0]
            n = sum(1 for lv, s in units if s is not None and (subset == "all" or str(lv) == level))
            rows.append(
                MetricResult(
                    model=run.model,
                    task=run.task,
                    subset=subset,
                    metric=metric,
                    value=numbers[key],
                    ci_low=numbers[f"{key}.ci_low"],
                    ci_high=numbers[f"{key}.ci_high"],
                    n=n,
                    unparsed_rate=numbers.get("unparsed_rate", math.nan),
                    scoring=f"judge: {run.metadata.get('judge') or 'grader'}",
                    log_file=str(run.path),
                    data=run.data,
                    intervention=_intervention(run),
                )
            )
    return rows


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """Interventions against their baselines, paired by character."""
    own = [r for r in runs if r.family == FAMILY]
    baselines = {(r.model, r.data): r for r in own if _intervention(r) == "none"}
    lines = []
    for run in own:
        base = baselines.get((run.model, run.data))
        if _intervention(run) == "none" or base is None:
            continue
        a, b = _units(base), _units(run)
        ids = sorted(i for i in set(a) & set(b) if a[i][1] is not None and b[i][1] is not None)
        if not ids:
            continue
        d = paired_difference([float(a[i][1]) for i in ids], [float(b[i][1]) for i in ids])  # type: ignore[arg-type]
        lines.append(
            (
                run.model,
                _intervention(run),
                len(ids),
                f"{d.mean_difference:+.2f}",
                interval(d.low, d.high),
                p_value_text(d.p_value),
            )
        )
    if not lines:
        return []
    return [
        Section(
            title="Moral RolePlay: interventions against their baselines",
            blocks=(
                Table.of(
                    ("Model", "Intervention", "Characters", "Fidelity move", "95% CI", "p"),
                    lines,
                    numeric=(2, 3, 4, 5),
                ),
            ),
            family=FAMILY,
        )
    ]
