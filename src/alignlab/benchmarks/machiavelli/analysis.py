"""MACHIAVELLI-style game report: reward and random-normalised harms, violations by category.

* rows (:func:`results`): per run, ``reward_norm`` (100 = a random agent;
  higher is better), ``reward_fraction`` (chance: the random agent's
  expected share) and ``violations_norm``, ``power_norm``,
  ``disutility_norm`` (100 = a random agent; lower is better; chance 100),
  with bootstrap CIs over play-throughs; and ``violations_norm`` per
  violation category (subset = the category, ``100 * agent / random`` on that
  category's counts, as ``get_mach_scores`` normalises each
  ``violations.<category>``), for the categories the random agent commits,
  so the report draws them as bars;
* sections (:func:`sections`): violations per category against the random
  agent; each intervened run against its baseline, paired by play-through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alignlab.benchmarks.machiavelli.engine import VIOLATIONS, normalised
from alignlab.benchmarks.machiavelli.tasks import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    SCORER_NAME,
    SCORES,
    machiavelli_numbers,
)
from alignlab.metrics import bootstrap_ci, paired_difference
from alignlab.report.compare import p_value_text
from alignlab.report.format import interval, num
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section, Table

FAMILY = "machiavelli"


def _scored(run: RunLog) -> list[tuple[str, dict[str, float], dict]]:
    out = []
    for sample in run.scored(SCORER_NAME):
        score = sample.scores[SCORER_NAME]
        if isinstance(score.value, dict) and "reward_fraction" in score.value:
            out.append((str(sample.id), dict(score.value), dict(score.metadata or {})))
    return out


def _intervention(run: RunLog) -> str:
    return str(run.metadata.get("intervention") or "none")


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Reward and normalised-harm rows of every run."""
    rows: list[MetricResult] = []
    for run in runs:
        if run.family != FAMILY:
            continue
        scored = _scored(run)
        numbers = machiavelli_numbers([v for _, v, _ in scored])
        random_reward = [
            m["random"]["reward"] / m["max_reward"] for _, _, m in scored if m.get("max_reward")
        ]
        for key in SCORES:
            if key not in numbers:
                continue
            is_reward = key.startswith("reward")
            rows.append(
                MetricResult(
                    model=run.model,
                    task=run.task,
                    subset="all",
                    metric=key,
                    value=numbers[key],
                    ci_low=numbers[f"{key}.ci_low"],
                    ci_high=numbers[f"{key}.ci_high"],
                    n=int(numbers["n"]),
                    unparsed_rate=numbers.get("invalid", math.nan),
                    chance=float(np.mean(random_reward))
                    if key == "reward_fraction" and random_reward
                    else 100.0,
                    scoring="agent",
                    variant=str(run.metadata.get("variant") or "paper"),
                    log_file=str(run.path),
                    higher_is_better=is_reward,
                    data=run.data,
                    intervention=_intervention(run),
                )
            )
        rows.extend(_category_rows(run, scored))
    return rows


def _category_rows(
    run: RunLog, scored: list[tuple[str, dict[str, float], dict]]
) -> list[MetricResult]:
    rows = []
    for category in VIOLATIONS:
        values = []
        for _, _, m in scored:
            rand = float(m["random"].get(f"violations.{category}", 0.0))
            if rand > 0:
                values.append(normalised(float(m["by_category"].get(category, 0.0)), rand))
        if not values:
            continue
        low, high = bootstrap_ci(
            np.array(values), n_resamples=BOOTSTRAP_RESAMPLES, seed=BOOTSTRAP_SEED
        )
        rows.append(
            MetricResult(
                model=run.model,
                task=run.task,
                subset=category,
                metric="violations_norm",
                value=float(np.mean(values)),
                ci_low=low,
                ci_high=high,
                n=len(values),
                unparsed_rate=math.nan,
                chance=100.0,
                scoring="agent",
                variant=str(run.metadata.get("variant") or "paper"),
                log_file=str(run.path),
                higher_is_better=False,
                data=run.data,
                intervention=_intervention(run),
            )
        )
    return rows


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """Violations by category, and interventions against their baselines."""
    own = [r for r in runs if r.family == FAMILY]
    if not own:
        return []
    lines = []
    for run in own:
        scored = _scored(run)
        if not scored:
            continue
        for category in VIOLATIONS:
            agent = float(np.mean([m["by_category"].get(category, 0.0) for _, _, m in scored]))
            rand = float(np.mean([m["random"][f"violations.{category}"] for _, _, m in scored]))
            if agent == 0 and rand == 0:
                continue
            lines.append((run.model, _intervention(run), category, num(agent), num(rand)))
    out = [
        Section(
            title="MACHIAVELLI-style game: violations by category",
            blocks=(
                Table.of(
                    ("Model", "Intervention", "Category", "Per play-through", "Random agent"),
                    lines,
                    numeric=(3, 4),
                    caption="Mean count per play-through; the random agent's is its exact "
                    "expectation on the same game.",
                ),
            ),
            family=FAMILY,
        )
    ]
    baselines = {
        (r.model, str(r.metadata.get("max_steps")), r.data): r
        for r in own
        if _intervention(r) == "none"
    }
    moves = []
    for run in own:
        base = baselines.get((run.model, str(run.metadata.get("max_steps")), run.data))
        if _intervention(run) == "none" or base is None:
            continue
        a = {sid: v for sid, v, _ in _scored(base)}
        b = {sid: v for sid, v, _ in _scored(run)}
        shared = sorted(set(a) & set(b))
        for key in SCORES:
            ids = [i for i in shared if math.isfinite(a[i][key]) and math.isfinite(b[i][key])]
            if not ids:
                continue
            d = paired_difference([a[i][key] for i in ids], [b[i][key] for i in ids])
            moves.append(
                (
                    run.model,
                    _intervention(run),
                    key,
                    len(ids),
                    f"{d.mean_difference:+.2f}",
                    interval(d.low, d.high),
                    p_value_text(d.p_value),
                )
            )
    if moves:
        out.append(
            Section(
                title="MACHIAVELLI-style game: interventions against their baselines",
                blocks=(
                    Table.of(
                        ("Model", "Intervention", "Score", "Play-throughs", "Move", "95% CI", "p"),
                        moves,
                        numeric=(3, 4, 5, 6),
                    ),
                ),
                family=FAMILY,
            )
        )
    return out
