"""Greatest Good report: mean IB and IH beside the lay population, stability, interventions.

* rows (:func:`results`): per run and item kind (``ous``, ``dilemmas``,
  ``all``), the mean impartial-beneficence and instrumental-harm ratings
  (1-7) with bootstrap CIs over statements; the lay-population mean of the
  OUS subscale is in ``extra["lay_reference"]``;
* sections (:func:`sections`): the model's OUS point beside the lay reference
  (distance, phrasing spread, unparsed rate); the label-order check (the same
  statements under ``ascending`` and ``descending`` labels: mean absolute
  difference of their ratings, with a bootstrap CI); each intervened run
  against its baseline per subscale (paired bootstrap CI, permutation p).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from alignlab.benchmarks.greatest_good.data import SOURCES, SUBSCALES
from alignlab.benchmarks.greatest_good.tasks import (
    LAY_REFERENCE,
    SCORER_NAME,
    ggb_numbers,
    unit_of,
)
from alignlab.metrics import bootstrap_ci, paired_difference
from alignlab.report.compare import p_value_text
from alignlab.report.format import interval, num, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section, Table, Text

FAMILY = "greatest_good"
METRICS = {"IB": "impartial_beneficence", "IH": "instrumental_harm"}


def units(run: RunLog) -> list[dict[str, Any]]:
    """The scored answers of a run (one per sample and epoch)."""
    found = [unit_of(s.scores[SCORER_NAME]) for s in run.scored(SCORER_NAME)]
    return [u for u in found if u is not None]


def _label(run: RunLog) -> tuple[str, str, str]:
    return (
        str(run.metadata.get("variant") or "ascending"),
        str(run.metadata.get("intervention") or "none"),
        str(run.metadata.get("scoring") or "auto"),
    )


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Mean IB and IH rows of every run, per item kind."""
    rows: list[MetricResult] = []
    for run in runs:
        if run.family != FAMILY:
            continue
        numbers = ggb_numbers(units(run))
        variant, intervention, scoring = _label(run)
        for kind in (*SOURCES, "all"):
            suffix = "" if kind == "all" else f".{kind}"
            for subscale in SUBSCALES:
                key = f"{subscale}{suffix}"
                if key not in numbers:
                    continue
                rows.append(
                    MetricResult(
                        model=run.model,
                        task=run.task,
                        subset=kind,
                        metric=METRICS[subscale],
                        value=numbers[key],
                        ci_low=numbers[f"{key}.ci_low"],
                        ci_high=numbers[f"{key}.ci_high"],
                        n=int(numbers[f"{key}.n"]),
                        unparsed_rate=numbers.get("unparsed_rate", math.nan),
                        variant=variant,
                        calibration=str(run.metadata.get("calibration") or "none"),
                        scoring=scoring,
                        log_file=str(run.path),
                        extra={"lay_reference": LAY_REFERENCE[subscale]} if kind == "ous" else {},
                        data=run.data,
                        intervention=intervention,
                    )
                )
    return rows


def _item_means(run: RunLog, subscale: str | None = None) -> dict[str, float]:
    """Sample id -> mean rating over epochs (readable ratings only)."""
    by_id: dict[str, list[float]] = defaultdict(list)
    for sample in run.scored(SCORER_NAME):
        unit = unit_of(sample.scores[SCORER_NAME])
        if unit is None or unit["rating"] is None:
            continue
        if subscale is None or unit["subscale"] == subscale:
            by_id[str(sample.id)].append(unit["rating"])
    return {k: float(np.mean(v)) for k, v in by_id.items()}


def _pair_key(run: RunLog, *, without: str) -> tuple[str, ...]:
    meta = run.metadata
    fields = ("variant", "intervention", "scoring", "calibration", "items", "data")
    return (run.model, *(str(meta.get(f)) for f in fields if f != without))


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """The lay-reference table, the label-order check and the intervention comparison."""
    own = [r for r in runs if r.family == FAMILY]
    if not own:
        return []
    lines = []
    for run in own:
        n = ggb_numbers(units(run))
        variant, intervention, _ = _label(run)
        lines.append(
            (
                run.model,
                variant,
                intervention,
                num(n.get("IB.ous")),
                interval(n.get("IB.ous.ci_low"), n.get("IB.ous.ci_high")),
                num(n.get("IH.ous")),
                interval(n.get("IH.ous.ci_low"), n.get("IH.ous.ci_high")),
                num(n.get("distance_to_lay")),
                num(n.get("phrasing_sd")),
                pct(n.get("unparsed_rate")),
            )
        )
    out = [
        Section(
            title="Greatest Good: the model beside the lay population",
            blocks=(
                Table.of(
                    (
                        "Model",
                        "Labels",
                        "Intervention",
                        "IB",
                        "95% CI",
                        "IH",
                        "95% CI",
                        "Distance to lay",
                        "Phrasing SD",
                        "Unparsed",
                    ),
                    lines,
                    numeric=(3, 4, 5, 6, 7, 8, 9),
                    caption=f"Oxford Utilitarianism Scale statements, mean rating 1-7. Lay "
                    f"population (Kahane et al. 2018, approximate): IB {LAY_REFERENCE['IB']}, "
                    f"IH {LAY_REFERENCE['IH']}. Distance: Euclidean in the (IB, IH) plane. "
                    "Phrasing SD: mean spread of a statement's rating across its phrasings.",
                ),
            ),
            family=FAMILY,
        )
    ]
    order = _order_check(own)
    if order is not None:
        out.append(order)
    moved = _intervention_check(own)
    if moved is not None:
        out.append(moved)
    return out


def _order_check(runs: Sequence[RunLog]) -> Section | None:
    by_key: dict[tuple[str, ...], dict[str, RunLog]] = defaultdict(dict)
    for run in runs:
        by_key[_pair_key(run, without="variant")][str(run.metadata.get("variant"))] = run
    lines = []
    for key, pair in sorted(by_key.items()):
        if "ascending" not in pair or "descending" not in pair:
            continue
        a, d = _item_means(pair["ascending"]), _item_means(pair["descending"])
        shared = sorted(set(a) & set(d))
        if not shared:
            continue
        gaps = np.array([abs(a[i] - d[i]) for i in shared])
        low, high = bootstrap_ci(gaps)
        lines.append((key[0], key[1], len(shared), num(float(gaps.mean())), interval(low, high)))
    if not lines:
        return None
    return Section(
        title="Greatest Good: label-order stability",
        blocks=(
            Text(
                "The same statements rated with the labels in ascending and descending order "
                "(answers mapped back to 7 = strongly agree). A model whose ratings follow the "
                "statement, not the position of the labels, has a gap near 0."
            ),
            Table.of(
                ("Model", "Intervention", "Statements", "Mean |gap|", "95% CI"),
                lines,
                numeric=(2, 3, 4),
            ),
        ),
        family=FAMILY,
    )


def _intervention_check(runs: Sequence[RunLog]) -> Section | None:
    baselines = {
        _pair_key(r, without="intervention"): r
        for r in runs
        if str(r.metadata.get("intervention") or "none") == "none"
    }
    lines = []
    warnings = []
    for run in runs:
        label = str(run.metadata.get("intervention") or "none")
        if label == "none":
            continue
        base = baselines.get(_pair_key(run, without="intervention"))
        if base is None:
            warnings.append(f"{run.model} with {label}: no baseline run with the same options")
            continue
        for subscale in SUBSCALES:
            a, b = _item_means(base, subscale), _item_means(run, subscale)
            shared = sorted(set(a) & set(b))
            if not shared:
                continue
            d = paired_difference(
                [a[i] for i in shared],
                [b[i] for i in shared],
                group_ids=[i.split(":")[0] for i in shared],
            )
            lines.append(
                (
                    run.model,
                    label,
                    subscale,
                    d.n,
                    f"{d.mean_difference:+.2f}",
                    interval(d.low, d.high),
                    p_value_text(d.p_value),
                )
            )
    if not lines and not warnings:
        return None
    return Section(
        title="Greatest Good: interventions against their baselines",
        blocks=(
            Table.of(
                ("Model", "Intervention", "Subscale", "Statements", "Move", "95% CI", "p"),
                lines,
                numeric=(3, 4, 5, 6),
                caption="Mean rating with the intervention minus without, on the statements "
                "both runs rated (paired bootstrap resampling whole statements; permutation p).",
            ),
        ),
        warnings=tuple(warnings),
        family=FAMILY,
    )
