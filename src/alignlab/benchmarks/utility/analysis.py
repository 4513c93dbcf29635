"""Utility Engineering report: utilities, coherence and exchange rates from ``utility_pairs`` runs.

Answers about the same outcomes by the same model under the same prompt
variant, scoring method and intervention are pooled across runs (the rounds
of active learning), then fitted (:mod:`alignlab.benchmarks.utility.fit`):

* rows (:func:`results`): ``holdout_accuracy`` (chance 0.5), ``cycle_rate``
  (chance 0.25) and ``order_consistency`` (chance 0.5), each with its
  percentile-bootstrap CI. For a group of one run the value and CI are read
  from the run's Inspect metrics (the same computation, so ``inspect view``
  shows them); a pooled group, or a log from before those metrics, is
  computed here;
* sections (:func:`sections`): per group a summary, the utilities with ±σ,
  and exchange rates per quantity family; where alignlab departs from the
  paper's protocol the section says so.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alignlab.benchmarks.utility.fit import (
    HOLDOUT_FOLDS,
    PAPER_HOLDOUT,
    RATE_RESAMPLES,
    ExchangeFamily,
    ExchangeRate,
    UtilityMeasures,
    exchange_families,
    exchange_rate_intervals,
    mean_and_ci,
    utility_measures,
)
from alignlab.benchmarks.utility.tasks import (
    SCORER_NAME,
    PairPreference,
    pair_preferences,
    responses_from_samples,
)
from alignlab.metrics import ThurstonianFit
from alignlab.report.format import num, pct
from alignlab.report.logs import RunLog, data_name
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Figure, Heading, Section, Table, Text

FAMILY = "utility"
TITLE = "Utility Engineering: utilities from pairwise preferences"
_LABEL_CHARS = 64
_ROWS = (  # metric, units field of UtilityMeasures, chance
    ("holdout_accuracy", "holdout_correct", 0.5),
    ("cycle_rate", "triad_cycles", 0.25),
    ("order_consistency", "same_outcome", 0.5),
)
DEPARTURES = (
    f"Held-out accuracy is {HOLDOUT_FOLDS}-fold cross-validated over pairs, so every pair is "
    f"held out once; the paper holds out {PAPER_HOLDOUT:.0%} of the edges once (seed 42), "
    "shown beside it as 'paper holdout'. With a few dozen pairs that single holdout rests "
    "on two or three pairs.",
    "Answers per prompt: the paper samples K = 10 at temperature 1 (scoring='generate' does "
    "the same); log-prob scoring reads each prompt once, from the probabilities of 'A' and "
    "'B'.",
)


@dataclass(frozen=True)
class UtilityAnalysis:
    """Thurstonian utilities and coherence of one model's pooled pairwise preferences.

    ``outcomes`` are in the order of the fit's options; ``outcomes[k]`` holds
    ``id``, ``text``, ``category`` and, for quantity families, ``quantity``
    and ``good``. ``logged`` holds the run's Inspect metrics when the group
    is one run whose log has them (else it is empty).
    """

    model: str
    data: str
    variant: str
    scoring: str
    intervention: str
    log_files: tuple[str, ...]
    outcomes: list[dict[str, Any]]
    preferences: list[PairPreference]
    measures: UtilityMeasures
    n_responses: int
    epochs: int
    unparsed_rate: float
    letter_a_rate: float
    families: list[ExchangeFamily] = field(default_factory=list)
    logged: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        label = f"{self.model} · {self.data} · {self.variant} · {self.scoring}"
        return label if self.intervention == "none" else f"{label} · {self.intervention}"

    @property
    def fit(self) -> ThurstonianFit:
        return self.measures.fit


@dataclass(frozen=True)
class UtilityReport:
    """Every analysis of a set of runs, and what could not be analysed."""

    analyses: list[UtilityAnalysis]
    warnings: list[str]


def analyse(runs: Sequence[RunLog]) -> UtilityReport:
    """Pool and fit the ``utility_pairs`` runs among ``runs`` (cached per set of runs)."""
    return _analyse_cached(tuple(r for r in runs if r.family == FAMILY))


@functools.lru_cache(maxsize=4)
def _analyse_cached(runs: tuple[RunLog, ...]) -> UtilityReport:
    groups: dict[tuple[str, ...], list[RunLog]] = defaultdict(list)
    empty = 0
    for run in runs:
        samples = run.scored(SCORER_NAME)
        if not samples:
            empty += 1
            continue
        groups[_group_key(run, samples)].append(run)
    analyses = [_analysis(key, group) for key, group in groups.items()]
    found = [a for a in analyses if a is not None]
    warnings = []
    if empty or len(found) < len(analyses):
        count = empty + len(analyses) - len(found)
        warnings.append(f"{count} utility_pairs run(s) hold no scored answers and give no rows")
    for metric, units, _ in _ROWS:
        short = [a.label for a in found if not getattr(a.measures, units)]
        if short:
            warnings.append(
                f"{metric} could not be computed for {len(short)} run(s) ({', '.join(short)}): "
                + _TOO_FEW[metric]
            )
    return UtilityReport(found, warnings)


_TOO_FEW = {
    "holdout_accuracy": "fewer than 3 pairs to hold out",
    "cycle_rate": "no triad with all three pairs asked (use pairs='triads')",
    "order_consistency": "no pair answered in both orders",
}


def _group_key(run: RunLog, samples: Sequence[Any]) -> tuple[str, ...]:
    methods = {
        str((s.scores[SCORER_NAME].metadata or {}).get("method") or "unknown") for s in samples
    }
    return (
        run.model,
        str(run.metadata.get("data") or "bundled"),
        str(run.args.get("variant") or "paper"),
        "+".join(sorted(methods)),
        str(run.metadata.get("intervention") or "none"),
    )


def _analysis(key: tuple[str, ...], runs: list[RunLog]) -> UtilityAnalysis | None:
    model, data, variant, scoring, intervention = key
    outcomes: dict[str, dict[str, Any]] = {}
    responses = []
    for run in runs:
        samples = run.scored(SCORER_NAME)
        for sample in samples:
            meta = sample.metadata or {}
            for name in ("outcome_i", "outcome_j"):
                record = meta.get(name)
                if isinstance(record, dict) and record.get("id") is not None:
                    outcomes.setdefault(str(record["id"]), record)
        responses.extend(responses_from_samples(samples))
    preferences = [p for p in pair_preferences(responses) if p.i in outcomes and p.j in outcomes]
    measures = utility_measures(preferences, outcomes)
    if measures is None:
        return None
    records = [outcomes[o] for o in measures.ids]
    weights = sum(r.weight for r in responses)
    return UtilityAnalysis(
        model=model,
        data=data,
        variant=variant,
        scoring=scoring,
        intervention=intervention,
        log_files=tuple(str(run.path) for run in runs),
        outcomes=records,
        preferences=preferences,
        measures=measures,
        n_responses=len(responses),
        epochs=max(int(getattr(run.header.eval.config, "epochs", None) or 1) for run in runs),
        unparsed_rate=(
            sum(r.unparsed for r in responses) / len(responses) if responses else math.nan
        ),
        letter_a_rate=(sum(r.weight * r.p_a for r in responses) / weights if weights else math.nan),
        families=exchange_families(records, measures.fit),
        logged=runs[0].metrics(SCORER_NAME) if len(runs) == 1 else {},
    )


# --- report rows -------------------------------------------------------------------------------


def results(runs: Sequence[RunLog]) -> list[MetricResult]:
    """Rows ``holdout_accuracy``, ``cycle_rate`` and ``order_consistency`` per pooled group.

    CIs are percentile bootstraps over pairs or triads (2,000 resamples, seed 0).
    """
    rows: list[MetricResult] = []
    for u in analyse(runs).analyses:
        m = u.measures
        extras: dict[str, dict[str, float]] = {
            "holdout_accuracy": {
                "holdout_log_loss": m.holdout_log_loss,
                "paper_holdout_accuracy": m.paper_holdout_accuracy,
                "paper_holdout_pairs": float(m.paper_holdout_pairs),
                "log_likelihood": m.fit.log_likelihood,
                "train_accuracy": m.fit.train_accuracy,
                "half_vs_all_tau": m.convergence_tau,
            },
            "cycle_rate": {"intransitive_triads": m.intransitive_rate},
            "order_consistency": {
                "same_letter": m.same_letter_rate,
                "letter_a_rate": u.letter_a_rate,
            },
        }
        for metric, field_name, chance in _ROWS:
            units: tuple[float, ...] = getattr(m, field_name)
            value, low, high = _value_and_ci(u.logged, metric, units)
            rows.append(
                MetricResult(
                    model=u.model,
                    task="utility",
                    subset=data_name(u.data),
                    metric=metric,
                    value=value,
                    ci_low=low,
                    ci_high=high,
                    n=len(units),
                    unparsed_rate=u.unparsed_rate,
                    chance=chance,
                    variant=u.variant,
                    scoring=u.scoring,
                    log_file=", ".join(u.log_files),
                    extra={k: float(v) for k, v in extras[metric].items()},
                    data=data_name(u.data),
                    intervention=u.intervention,
                    units=units,
                )
            )
    return rows


def _value_and_ci(
    logged: dict[str, float], metric: str, units: Sequence[float]
) -> tuple[float, float, float]:
    """The run's logged (value, CI low, CI high) of ``metric``, or computed from ``units``."""
    keys = (metric, f"{metric}_ci_low", f"{metric}_ci_high")
    if all(k in logged for k in keys):
        return logged[keys[0]], logged[keys[1]], logged[keys[2]]
    return mean_and_ci(units)


# --- report sections ---------------------------------------------------------------------------


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per group a summary, the utilities with ±σ and the exchange rates."""
    report = analyse(runs)
    if not report.analyses and not report.warnings:
        return []
    blocks: list[Block] = [Text(text, kind="muted") for text in DEPARTURES]
    for u in report.analyses:
        blocks.extend(_utility_blocks(u))
    return [Section(TITLE, tuple(blocks), tuple(report.warnings), family=FAMILY)]


def _utility_blocks(u: UtilityAnalysis) -> list[Block]:
    m = u.measures
    acc = _mean(m.holdout_correct)
    summary = [
        ("outcomes", f"{len(u.outcomes)}"),
        ("pairs asked (both orders)", f"{len(u.preferences)}"),
        ("answers", f"{u.n_responses}"),
        ("answers per prompt (the paper's K is 10)", f"{u.epochs}"),
        ("unparsed", pct(u.unparsed_rate)),
        (
            f"held-out accuracy ({HOLDOUT_FOLDS}-fold CV; chance 0.5)",
            f"{num(acc)} over {len(m.holdout_correct)} pairs",
        ),
        (
            f"paper holdout accuracy ({PAPER_HOLDOUT:.0%} of the pairs, seed 42)",
            f"{num(m.paper_holdout_accuracy)} over {m.paper_holdout_pairs} pairs",
        ),
        ("held-out log loss", num(m.holdout_log_loss)),
        ("log-likelihood of the fit", num(m.fit.log_likelihood)),
        (
            "cycle rate (chance 0.25)",
            f"{num(_mean(m.triad_cycles))} over {len(m.triad_cycles)} triads",
        ),
        ("intransitive triads (hard preferences)", num(m.intransitive_rate)),
        (
            "same outcome in both orders (chance 0.5)",
            f"{num(_mean(m.same_outcome))} over {len(m.same_outcome)} pairs",
        ),
        ("same letter in both orders (position bias)", num(m.same_letter_rate)),
        # The mean probability on "A" (log-prob scoring reads a probability, not an answer);
        # under generation each probability is 0 or 1 and this is the share of answers.
        ("mean probability on letter A (0.5 without position bias)", num(u.letter_a_rate)),
        ("Kendall tau, half of the pairs vs all", num(m.convergence_tau)),
    ]
    blocks: list[Block] = [
        Heading(u.label),
        Table.of(("measure", "value"), summary, numeric=(1,)),
        Figure(
            _utility_chart(u),
            f"Utilities of {u.model}: Thurstonian mean ± σ per outcome (means normalised to "
            "mean 0 and sd 1), coloured by category; σ bars wider than the axis are cut.",
        ),
    ]
    means, sigmas = m.fit.means, np.sqrt(m.fit.variances)
    ranked = sorted(range(len(u.outcomes)), key=lambda k: -float(means[k]))
    blocks.append(
        Table.of(
            ("rank", "outcome", "category", "utility", "σ"),
            [
                (
                    str(rank),
                    str(u.outcomes[k]["text"]),
                    str(u.outcomes[k].get("category") or ""),
                    num(float(means[k])),
                    num(float(sigmas[k])),
                )
                for rank, k in enumerate(ranked, start=1)
            ],
            numeric=(0, 3, 4),
        )
    )
    if u.families:
        blocks.append(
            Figure(
                _exchange_chart(u.families),
                "Utility against ln N per quantity family, with fitted lines U(N) ≈ a ln N + b.",
            )
        )
        fits = [
            (f.good, num(f.a), num(f.b), ", ".join(f"{q:g}" for q in f.quantities))
            for f in u.families
        ]
        blocks.append(
            Table.of(("family", "a (slope)", "b (U at N=1)", "N asked"), fits, numeric=(1, 2))
        )
        rates = exchange_rate_intervals(u.outcomes, m.edges, m.fit)
        if rates:
            blocks.append(
                Table.of(
                    ("1 unit of", "is worth N units of", "N", "95% CI", "note"),
                    [(r.y, r.x, num(r.rate), rate_interval(r), rate_note(r)) for r in rates],
                    numeric=(2, 3),
                )
            )
            blocks.append(
                Text(
                    f"Intervals: percentile bootstrap over the asked pairs ({RATE_RESAMPLES} "
                    "resamples, seed 0), refitting the utilities and both families' lines in "
                    "each; a resample where the first good's slope is not positive counts as "
                    "an unbounded rate.",
                    kind="muted",
                )
            )
    return blocks


# Exchange rates beyond this factor (either way) come from a slope near zero, not a preference.
IMPLAUSIBLE_RATE = 1e6


def _implausible(rate: float) -> bool:
    return rate > IMPLAUSIBLE_RATE or rate < 1 / IMPLAUSIBLE_RATE


def rate_interval(rate: ExchangeRate) -> str:
    """The rate's 95% interval as text: "[low, high]", "[low, ∞)" or "not estimable"."""
    if not (math.isfinite(rate.low) and rate.low > 0) or math.isnan(rate.high):
        return f"not estimable ({rate.usable} of {rate.resamples} resamples fit)"
    if math.isinf(rate.high):
        return f"[{num(rate.low)}, ∞)"
    return f"[{num(rate.low)}, {num(rate.high)}]"


def rate_note(rate: ExchangeRate) -> str:
    """Why an exchange rate is not a finding, or "" when it is one (finite, plausible, bounded)."""
    if not math.isfinite(rate.rate) or rate.rate <= 0:
        return "not estimable"
    if _implausible(rate.rate):
        return "implausible magnitude: the fitted slope is near zero; not a finding"
    if not (math.isfinite(rate.low) and math.isfinite(rate.high)):
        return "interval unbounded or not estimable: the slope is not well determined"
    if _implausible(rate.low) or _implausible(rate.high):
        return "interval reaches implausible magnitudes: read as direction only"
    return ""


def _mean(units: Sequence[float]) -> float:
    return float(np.mean(units)) if len(units) else math.nan


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- charts ------------------------------------------------------------------------------------


def _utility_chart(u: UtilityAnalysis) -> str:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.patches import Patch

    from alignlab.report.html import PALETTE, png_data_uri, tidy_axes

    means = np.asarray(u.fit.means, dtype=float)
    sigmas = np.sqrt(np.asarray(u.fit.variances, dtype=float))
    order = np.argsort(means)
    categories = list(dict.fromkeys(str(o.get("category") or "") for o in u.outcomes))
    colour = {c: PALETTE[k % len(PALETTE)] for k, c in enumerate(categories)}
    fig = MplFigure(figsize=(8.5, 1.0 + 0.22 * len(order)))
    ax = fig.add_subplot()
    for row, k in enumerate(order):
        c = colour[str(u.outcomes[k].get("category") or "")]
        ax.errorbar(means[k], row, xerr=sigmas[k], fmt="o", color=c, ecolor=c, capsize=2, ms=4)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(
        [_short(str(u.outcomes[k]["text"]), _LABEL_CHARS) for k in order], fontsize=7
    )
    ax.set_ylim(-0.7, len(order) - 0.3)
    # A near-indifferent model gets σ of tens of units; keep the means readable.
    span = max(1.0, float(np.max(np.abs(means)))) + 2.0
    if float(np.max(sigmas)) > span:
        ax.set_xlim(-span, span)
    ax.set_xlabel("utility (mean ± σ)")
    tidy_axes(ax, grid_axis="x")
    if len(categories) > 1:
        ax.legend(
            handles=[Patch(color=colour[c], label=c or "(none)") for c in categories],
            loc="lower right",
            frameon=False,
            fontsize=8,
        )
    return png_data_uri(fig)


def _exchange_chart(families: Sequence[ExchangeFamily]) -> str:
    from matplotlib.figure import Figure as MplFigure

    from alignlab.report.html import PALETTE, png_data_uri, tidy_axes

    fig = MplFigure(figsize=(6.5, 3.6))
    ax = fig.add_subplot()
    for k, f in enumerate(families):
        colour = PALETTE[k % len(PALETTE)]
        logs = np.log(np.asarray(f.quantities))
        ax.plot(logs, f.utilities, "o", color=colour, label=f.good)
        grid = np.linspace(logs.min(), logs.max(), 20)
        ax.plot(grid, f.a * grid + f.b, "-", color=colour, linewidth=1.2)
    ax.set_xlabel("ln N")
    ax.set_ylabel("utility")
    tidy_axes(ax, grid_axis="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    return png_data_uri(fig)
