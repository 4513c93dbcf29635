"""Political questionnaire report: positions with CIs, their stability across prompt variants,
and their movement under interventions.

* rows: ``position`` per axis per run (:func:`~.paper_metrics.kind_rows`);
* section: a bar chart of every run's positions with CIs; a stability table per model (the
  position under each variant, the spread max - min across variants, and the share of
  statements answered on the same side, agree or disagree, under every variant); a movement
  table (each intervention's position minus the same model's and variant's position without
  one, paired over statements, bootstrap CI).
"""

from __future__ import annotations

from collections.abc import Sequence

from alignlab.benchmarks._scored import Scored, from_log_samples, kind_results
from alignlab.benchmarks.political import paper_metrics as pm
from alignlab.benchmarks.political.tasks import FAMILY, SCORER
from alignlab.metrics import paired_bootstrap_diff_ci, position_spread
from alignlab.report.ci_bars import ci_bar_chart
from alignlab.report.format import interval, num, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Figure, Section, Table, Text

SECTION_RESAMPLES = 1000
NOTE = (
    "Positions are mean signed agreement in [-1, 1]: economic -1 left (state) .. +1 right "
    "(market); social -1 libertarian .. +1 authoritarian; 0 is where random answers land. The "
    "40 statements are written by alignlab and are not the Political Compass test; a position "
    "here locates the model on this questionnaire only."
)


def scored(run: RunLog) -> list[Scored]:
    return from_log_samples(run.samples, SCORER)


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY]


def _intervention(run: RunLog) -> str:
    return str(run.metadata.get("intervention") or "none")


def _variant(run: RunLog) -> str:
    return str(run.metadata.get("variant") or "paper")


def results(
    runs: Sequence[RunLog], *, n_resamples: int = pm.N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """``position`` rows of every questionnaire run."""
    logged = n_resamples == pm.N_RESAMPLES and seed == 0
    return kind_results(
        _ours(runs), scored, pm.kind_rows, lambda run: SCORER, n_resamples, seed, logged
    )


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: the positions chart, stability across variants, movement under
    interventions."""
    chosen = [(run, scored(run)) for run in _ours(runs)]
    chosen = [(run, records) for run, records in chosen if records]
    if not chosen:
        return []
    rows = results([run for run, _ in chosen])
    blocks: list[Block] = [
        Text(NOTE, kind="muted"),
        Figure(
            ci_bar_chart(
                [f"{r.subset} · {r.model} · {r.variant} · {r.intervention}" for r in rows],
                [r.value for r in rows],
                [r.ci_low for r in rows],
                [r.ci_high for r in rows],
                "position (-1 .. +1)",
                reference=0.0,
                reference_label="centre",
            ),
            "Position on each axis per run, 95% bootstrap CIs over statements.",
        ),
    ]
    blocks.extend(_stability(chosen))
    blocks.extend(_movement(chosen))
    warnings = [
        f"{run.model} · {_variant(run)} · {_intervention(run)}: {n} of {len(records)} answers "
        "could not be read (left out of the positions)."
        for run, records in chosen
        if (n := sum(bool(s.value.get("unparsed")) for s in records))
    ]
    title = "Political and economic bias: questionnaire positions"
    return [Section(title, tuple(blocks), tuple(warnings), family=FAMILY)]


def _stability(chosen: list[tuple[RunLog, list[Scored]]]) -> list[Block]:
    by_key: dict[tuple[str, str, str], list[tuple[RunLog, list[Scored]]]] = {}
    for run, records in chosen:
        by_key.setdefault((run.model, run.data, _intervention(run)), []).append((run, records))
    table = []
    for (model, _, intervention), found in by_key.items():
        if len({_variant(run) for run, _ in found}) < 2:
            continue
        per_variant = [pm.positions(records) for _, records in found]
        axes = sorted(set.intersection(*(set(p) for p in per_variant)))
        if not axes:
            continue
        spread = position_spread([{a: p[a] for a in axes} for p in per_variant])
        for axis in axes:
            sides = [pm.signed_by_axis(records).get(axis, {}) for _, records in found]
            shared = set.intersection(*(set(s) for s in sides))
            same = [len({v > 0 for v in (s[i] for s in sides)}) == 1 for i in shared]
            table.append(
                (
                    model,
                    intervention,
                    axis,
                    ", ".join(
                        f"{_variant(run)} {num(p[axis])}"
                        for (run, _), p in zip(found, per_variant, strict=True)
                    ),
                    num(spread[axis]),
                    pct(sum(same) / len(same)) if same else "n/a",
                )
            )
    if not table:
        return [Text("Run two or more prompt variants to see the stability of the position.")]
    return [
        Table.of(
            ("model", "intervention", "axis", "position per variant", "spread", "same side"),
            table,
            numeric=(4, 5),
            caption="Stability across prompt variants: spread = max - min of the position; "
            "same side = statements agreed (or disagreed) with under every variant.",
        )
    ]


def _movement(chosen: list[tuple[RunLog, list[Scored]]]) -> list[Block]:
    base = {
        (run.model, run.data, _variant(run)): records
        for run, records in chosen
        if _intervention(run) == "none"
    }
    table = []
    for run, records in chosen:
        baseline = base.get((run.model, run.data, _variant(run)))
        if _intervention(run) == "none" or baseline is None:
            continue
        before, after = pm.signed_by_axis(baseline), pm.signed_by_axis(records)
        for axis in sorted(set(before) & set(after)):
            ids = sorted(set(before[axis]) & set(after[axis]))
            if not ids:
                continue
            diff, low, high = paired_bootstrap_diff_ci(
                [before[axis][i] for i in ids],
                [after[axis][i] for i in ids],
                n_resamples=SECTION_RESAMPLES,
                seed=0,
            )
            table.append(
                (
                    run.model,
                    _variant(run),
                    _intervention(run),
                    axis,
                    num(diff),
                    interval(low, high),
                    len(ids),
                )
            )
    if not table:
        return []
    return [
        Table.of(
            ("model", "variant", "intervention", "axis", "movement", "95% CI", "statements"),
            table,
            numeric=(4, 5, 6),
            caption="Movement under an intervention: its position minus the position without "
            "one, paired over statements (bootstrap CI).",
        )
    ]
