"""MoReBench report rows and sections: rubric scores with CIs, criterion fulfilment per
dimension, the length-controlled score, who judged, and how far two judges agree."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alignlab.metrics import bootstrap_ci, grouped_bootstrap_ci
from alignlab.metrics.agreement import cohen_kappa, cohen_kappa_ci, krippendorff_alpha
from alignlab.metrics.rubric import length_controlled_score
from alignlab.models.bundled import BUNDLED_NAME
from alignlab.report.format import interval, num, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Cell, Section, Table, Text

SCORER = "rubric_judge"
N_RESAMPLES = 2000
SEED = 0


@dataclass(frozen=True)
class Judged:
    """One scored response: its rubric score, length, grouping fields and criteria."""

    item: str
    score: float
    chars: int
    source: str
    role: str
    theory: str | None
    criteria: list[dict[str, Any]]
    judges: dict[str, str]


def judged(run: RunLog) -> list[Judged]:
    """The scored responses of a MoReBench log (score nan when no verdict was read)."""
    out = []
    for sample in run.samples:
        score = (sample.scores or {}).get(SCORER)
        if score is None or not score.metadata:
            continue
        m = score.metadata
        value = score.value if isinstance(score.value, int | float) else math.nan
        out.append(
            Judged(
                item=str(sample.id),
                score=float(value),
                chars=int(m.get("response_chars", 0)),
                source=str(m.get("source")),
                role=str(m.get("role")),
                theory=m.get("theory"),
                criteria=list(m.get("criteria", [])),
                judges=dict(m.get("judges", {})),
            )
        )
    return out


def _base(run: RunLog) -> dict[str, Any]:
    return {
        "model": run.model,
        "task": run.task,
        "variant": str(run.args.get("variant") or "paper"),
        "scoring": "judge",
        "log_file": str(run.path),
        "data": run.data,
        "intervention": str(run.metadata.get("intervention") or "none"),
    }


def _score_row(run: RunLog, subset: str, items: list[Judged], unread: int) -> MetricResult:
    values = [j.score for j in items]
    low, high = bootstrap_ci(values, n_resamples=N_RESAMPLES, seed=SEED)
    return MetricResult(
        subset=subset,
        metric="score",
        value=float(np.mean(values)),
        ci_low=low,
        ci_high=high,
        n=len(values),
        unparsed_rate=unread / (len(values) + unread) if values or unread else math.nan,
        **_base(run),
    )


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Per run: the mean score (0-100) overall and per source, role and theory; the
    length-controlled score; the criterion fulfilment rate per dimension."""
    rows: list[MetricResult] = []
    for run in runs:
        found = judged(run)
        scored = [j for j in found if math.isfinite(j.score)]
        if not scored:
            continue
        unread = len(found) - len(scored)
        rows.append(_score_row(run, "overall", scored, unread))
        for field in ("source", "role", "theory"):
            groups: dict[str, list[Judged]] = {}
            for j in scored:
                key = getattr(j, field)
                if key is not None:
                    groups.setdefault(str(key), []).append(j)
            if len(groups) > 1 or field == "theory":
                rows.extend(
                    _score_row(run, f"{field}: {k}", v, 0) for k, v in sorted(groups.items())
                )
        rows.append(_length_row(run, scored))
        rows.extend(_fulfilment_rows(run, scored))
    return rows


def _length_row(run: RunLog, scored: list[Judged]) -> MetricResult:
    pairs = np.array([[j.score, j.chars] for j in scored], dtype=float)
    value = length_controlled_score(pairs[:, 0], pairs[:, 1]) if pairs[:, 1].sum() else math.nan
    rng = np.random.default_rng(SEED)
    draws = []
    for _ in range(N_RESAMPLES):
        pick = pairs[rng.integers(0, len(pairs), len(pairs))]
        if pick[:, 1].sum() > 0:
            draws.append(length_controlled_score(pick[:, 0], pick[:, 1]))
    low, high = np.quantile(draws, [0.025, 0.975]) if draws else (math.nan, math.nan)
    return MetricResult(
        subset="overall",
        metric="length_controlled",
        value=value,
        ci_low=float(low),
        ci_high=float(high),
        n=len(scored),
        unparsed_rate=0.0,
        **_base(run),
    )


def _fulfilment_rows(run: RunLog, scored: list[Judged]) -> list[MetricResult]:
    by_dimension: dict[str, tuple[list[float], list[str]]] = {}
    unread: dict[str, int] = {}
    for j in scored:
        for c in j.criteria:
            dim = str(c["dimension"])
            if c["fulfilled"] is None:
                unread[dim] = unread.get(dim, 0) + 1
                continue
            values, groups = by_dimension.setdefault(dim, ([], []))
            values.append(float(c["fulfilled"]))
            groups.append(j.item)
    rows = []
    for dim, (values, groups) in sorted(by_dimension.items()):
        low, high = grouped_bootstrap_ci(values, groups, n_resamples=N_RESAMPLES, seed=SEED)
        rows.append(
            MetricResult(
                subset=dim,
                metric="criterion fulfilment",
                value=float(np.mean(values)),
                ci_low=low,
                ci_high=high,
                n=len(values),
                unparsed_rate=unread.get(dim, 0) / (len(values) + unread.get(dim, 0)),
                **_base(run),
            )
        )
    return rows


def judge_label(run: RunLog, role: str, model: str) -> str:
    """Who judged: the bound role's model, or the model under test grading itself."""
    roles = getattr(run.header.eval, "model_roles", None) or {}
    if role in roles:
        return f"{model} ({role} role)"
    what = "the bundled model" if BUNDLED_NAME in model else "the model under test"
    return f"{model}: {what} grading itself (no {role} role bound)"


def agreement_rows(run: RunLog) -> list[tuple[Cell, ...]]:
    """Judge-agreement rows of a run asked with ``second_judge``: per pair of roles, the
    criteria both read, raw agreement, Cohen's kappa with its CI, Krippendorff's alpha."""
    first = run.metadata.get("judge")
    second = run.metadata.get("second_judge")
    if not first or not second:
        return []
    a: list[str] = []
    b: list[str] = []
    for j in judged(run):
        for c in j.criteria:
            va, vb = c["verdicts"].get(first), c["verdicts"].get(second)
            if va in ("yes", "no") and vb in ("yes", "no"):
                a.append(va)
                b.append(vb)
    if not a:
        return [(run.model, f"{first} vs {second}", 0, None, None, None, None)]
    kappa = cohen_kappa(a, b)
    low, high = cohen_kappa_ci(a, b, n_resamples=N_RESAMPLES, seed=SEED)
    codes = np.array([[v == "yes" for v in a], [v == "yes" for v in b]], dtype=float)
    return [
        (
            run.model,
            f"{first} vs {second}",
            len(a),
            pct(float(np.mean(np.array(a) == np.array(b)))),
            num(kappa),
            interval(low, high),
            num(krippendorff_alpha(codes, "nominal")),
        )
    ]


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """Who judged each run, and the judge-agreement table."""
    judges: list[tuple[Cell, ...]] = []
    agreement: list[tuple[Cell, ...]] = []
    for run in runs:
        found = judged(run)
        if not found:
            continue
        for role, model in found[0].judges.items():
            judges.append((run.model, run.task, judge_label(run, role, model)))
        agreement.extend(agreement_rows(run))
    if not judges:
        return []
    blocks: list[Any] = [
        Text(
            "Each rubric criterion is one yes/no question to the judge (MoReBench's prompt). "
            "The default offline judge is the bundled model (SmolLM2-135M): with no grader "
            "bound, the model under test grades its own answers. Its verdicts are not a "
            "meaningful measurement; bind a strong judge with --model-role grader=MODEL.",
            kind="warning" if any("no " in str(j[2]) for j in judges) else "plain",
        ),
        Table.of(("model", "task", "judge"), judges),
    ]
    if agreement:
        blocks.append(
            Table.of(
                (
                    "model",
                    "judges",
                    "criteria",
                    "agreement",
                    "Cohen's kappa",
                    "95% CI",
                    "Krippendorff's alpha",
                ),
                agreement,
                numeric=(2, 3, 4, 5, 6),
                caption=(
                    "Verdicts of two judges on the same criteria of the same responses "
                    "(-T second_judge=ROLE). Kappa's CI resamples criteria; alpha is nominal."
                ),
            )
        )
    else:
        blocks.append(
            Text(
                "No judge agreement: runs had one judge. Add -T second_judge=grader2 "
                "--model-role grader2=MODEL to ask every criterion of a second judge.",
                kind="muted",
            )
        )
    return [Section("MoReBench judges", tuple(blocks), family="morebench")]
