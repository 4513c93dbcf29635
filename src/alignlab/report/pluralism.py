"""Pluralism and Moral Turing Test analyses from eval logs: report rows and HTML sections.

Reads the logs of the tasks in :mod:`alignlab.tasks.pluralism` and
:mod:`alignlab.tasks.mtt` (eval metadata ``family`` ``pluralism`` or ``mtt``)
and recomputes every number from the per-sample scores:

* distributional: mean Jensen-Shannon distance (base 2) from the model's
  answer distribution to each group, with the uniform distribution's distance
  as the chance baseline, and the group the model sits closest to on average;
  raw and, where the logs allow, contextually calibrated distributions;
* steerable: mean steering shift ``JS(plain, G) - JS(steered, G)`` per group
  (chance 0: a model that ignores the steering);
* Overton: mean coverage of the perspectives;
* jury: per welfare rule, the mean welfare of the candidate it picks, how
  often the three rules agree, and (model jurors) how often a rule picks the
  candidate it picks on the shipped ratings;
* Moral Turing Test: verdict agreement with the human majority; the judge's
  identification accuracy and AUC; the surface-feature classifier baseline;
  the AI - human difference in length, hedging rate and first-person rate.

Confidence intervals are percentile bootstraps over questions, items or
scenarios (stratified for AUCs, paired for the text contrasts). When several
logs hold the same model, task and arguments (a retried run), the most
complete one is used, as in :mod:`alignlab.report.from_logs`.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import escape

from alignlab.metrics import (
    aggregate_jury,
    bootstrap_ci,
    bootstrap_ci_auc,
    closest_group,
    js_distance,
    majority_baseline,
    paired_bootstrap_diff_ci,
    roc_auc,
)
from alignlab.report._fragments import figure, mean, pct, short
from alignlab.report.from_logs import find_logs
from alignlab.report.html import ExtraSection
from alignlab.report.results import MetricResult, model_label
from alignlab.tasks import mtt as mtt_task
from alignlab.tasks import pluralism as pluralism_task

FAMILIES = (pluralism_task.FAMILY, mtt_task.FAMILY)
WELFARE_RULES = ("utilitarian", "nash", "egalitarian")
CALIBRATIONS = ("none", "contextual")
_FORCED_CHOICE = "forced_choice_scorer"
_SCORERS = {
    "distributional": pluralism_task.OPINION_SCORER,
    "steerable": pluralism_task.OPINION_SCORER,
    "overton": pluralism_task.OVERTON_SCORER,
    "jury": pluralism_task.JURY_SCORER,
    "judgment": _FORCED_CHOICE,
    "detect": _FORCED_CHOICE,
}
_DIST_KEY = {"none": "model_dist_raw", "contextual": "model_dist_calibrated"}
_EXAMPLES = 3
_UNIFORM_COLOUR = "#d62728"


@dataclass(frozen=True)
class _Run:
    """One chosen log of a pluralism or MTT task, with its scored samples."""

    path: Path
    model: str
    task: str
    kind: str
    metadata: dict[str, Any]
    samples: tuple[Any, ...]

    def scores(self) -> list[tuple[Any, Any]]:
        """(sample, score) for every sample scored by this kind's scorer."""
        name = _SCORERS[self.kind]
        return [(s, s.scores[name]) for s in self.samples if s.scores and name in s.scores]

    @property
    def variant(self) -> str:
        return str(self.metadata.get("variant") or "default")

    @property
    def data(self) -> str:
        data = str(self.metadata.get("data") or "bundled")
        return "bundled" if data == "bundled" else Path(data).name or data


def _runs(log_dir: str | Path) -> list[_Run]:
    files = find_logs(log_dir)
    signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _runs_cached(signature)


@functools.lru_cache(maxsize=4)
def _runs_cached(signature: tuple[tuple[str, int, int], ...]) -> list[_Run]:
    from inspect_ai.log import read_eval_log

    chosen: dict[tuple[str, str, str], tuple[tuple[int, int, str], _Run]] = {}
    for path_text, _, _ in signature:
        path = Path(path_text)
        try:
            log = read_eval_log(str(path))
        except Exception as ex:  # a truncated file from a killed run: skip it
            print(f"warning: skipping unreadable log {path}: {ex}")
            continue
        metadata = dict(log.eval.metadata or {})
        kind = str(metadata.get("kind") or "")
        if metadata.get("family") not in FAMILIES or kind not in _SCORERS:
            continue
        run = _Run(path, model_label(log), log.eval.task, kind, metadata, tuple(log.samples or ()))
        n_scored = len(run.scores())
        if not n_scored:
            continue
        key = (run.model, run.task, repr(sorted((log.eval.task_args or {}).items())))
        rank = (int(log.status == "success"), n_scored, log.eval.created)
        if key not in chosen or rank > chosen[key][0]:
            chosen[key] = (rank, run)
    return [run for _, run in sorted(chosen.values(), key=lambda v: str(v[1].path))]


# --- analyses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _GroupDistances:
    """Distances from one run's answer distributions to each group, under one calibration.

    ``js[g]`` and ``uniform[g]`` hold one distance per answered question that
    has group ``g`` (the model's, and the uniform distribution's);
    ``closest[q]`` is the closest group for question ``q``.
    """

    run: _Run
    calibration: str
    js: dict[str, list[float]]
    uniform: dict[str, list[float]]
    closest: list[str]
    n_questions: int
    n_unparsed: int

    @property
    def mean(self) -> dict[str, float]:
        return {g: float(np.mean(v)) for g, v in self.js.items() if v}

    @property
    def closest_group(self) -> str | None:
        means = self.mean
        return min(means, key=lambda g: means[g]) if means else None


def _group_distances(run: _Run, calibration: str = "none") -> _GroupDistances | None:
    """Per-group JS distances of a distributional run; None when no distribution was read."""
    js: dict[str, list[float]] = defaultdict(list)
    uniform: dict[str, list[float]] = defaultdict(list)
    closest: list[str] = []
    n_unparsed = 0
    scored = run.scores()
    for _, score in scored:
        meta = score.metadata or {}
        dist = meta.get(_DIST_KEY[calibration])
        if dist is None:
            n_unparsed += 1
            continue
        groups: dict[str, list[float]] = meta["distributions"]
        flat = [1.0] * len(dist)
        for group, target in groups.items():
            js[group].append(js_distance(dist, target))
            uniform[group].append(js_distance(flat, target))
        closest.append(closest_group(dist, groups)[0])
    if not closest:
        return None
    return _GroupDistances(
        run, calibration, dict(js), dict(uniform), closest, len(scored), n_unparsed
    )


def _steering_records(run: _Run, calibration: str = "none") -> tuple[list[dict[str, Any]], int]:
    """(steering shift records, number of steered samples) of a steerable run."""
    metadata = []
    n_steered = 0
    for _, score in run.scores():
        meta = dict(score.metadata or {})
        meta["model_dist"] = meta.get(_DIST_KEY[calibration])
        n_steered += meta.get("steer") is not None
        metadata.append(meta)
    return pluralism_task.steering_shifts(metadata), n_steered


@dataclass(frozen=True)
class _JuryAnalysis:
    """A jury run: per item, each rule's pick and welfare (from the jurors' ratings)."""

    run: _Run
    items: list[str]
    picks: dict[str, list[int]]
    welfare: dict[str, list[float]]
    reference_picks: dict[str, list[int | None]]
    n_items: int
    rating_error: list[float]
    candidates: dict[str, dict[int, str]]
    prompts: dict[str, str]


def _jury_analysis(run: _Run) -> _JuryAnalysis | None:
    """Aggregate a jury run's ratings per item with every welfare rule (items with an unread
    rating are left out)."""
    ratings: dict[str, dict[tuple[int, str], float]] = defaultdict(dict)
    reference: dict[str, dict[tuple[int, str], float]] = defaultdict(dict)
    jurors: dict[str, list[str]] = defaultdict(list)
    sizes: dict[str, int] = {}
    candidates: dict[str, dict[int, str]] = defaultdict(dict)
    prompts: dict[str, str] = {}
    errors = []
    for sample, score in run.scores():
        meta = score.metadata or {}
        item, juror, k = meta["item_id"], meta["juror"], int(meta["candidate"])
        value = score.value["rating"] if isinstance(score.value, dict) else math.nan
        ratings[item][(k, juror)] = float(value)
        if juror not in jurors[item]:
            jurors[item].append(juror)
        sizes[item] = int(meta["n_candidates"])
        candidates[item][k] = str((sample.metadata or {}).get("candidate_text") or "")
        prompts[item] = str((sample.metadata or {}).get("prompt") or "")
        if meta.get("reference_rating") is not None:
            reference[item][(k, juror)] = float(meta["reference_rating"])
            if math.isfinite(value):
                errors.append(abs(float(value) - float(meta["reference_rating"])))
    items: list[str] = []
    picks: dict[str, list[int]] = {rule: [] for rule in WELFARE_RULES}
    welfare: dict[str, list[float]] = {rule: [] for rule in WELFARE_RULES}
    reference_picks: dict[str, list[int | None]] = {rule: [] for rule in WELFARE_RULES}
    for item, table in ratings.items():
        matrix = _rating_matrix(table, sizes[item], jurors[item])
        if matrix is None:
            continue
        items.append(item)
        shipped = _rating_matrix(reference.get(item, {}), sizes[item], jurors[item])
        for rule in WELFARE_RULES:
            best, scores = aggregate_jury(matrix, rule)  # type: ignore[arg-type]
            picks[rule].append(best)
            welfare[rule].append(float(scores[best]))
            reference_picks[rule].append(
                None if shipped is None else aggregate_jury(shipped, rule)[0]  # type: ignore[arg-type]
            )
    if not items:
        return None
    return _JuryAnalysis(
        run, items, picks, welfare, reference_picks, len(ratings), errors, candidates, prompts
    )


def _rating_matrix(
    table: dict[tuple[int, str], float], n_candidates: int, jurors: Sequence[str]
) -> np.ndarray | None:
    """Candidates x jurors ratings; None when one is missing or unread."""
    try:
        matrix = np.array([[table[(k, j)] for j in jurors] for k in range(n_candidates)])
    except KeyError:
        return None
    return matrix if np.isfinite(matrix).all() else None


@dataclass(frozen=True)
class _TextContrast:
    """Human vs AI texts of the same scenarios, and the surface-feature classifier on them."""

    label: str
    scenario_ids: list[str]
    human: list[str]
    ai: list[str]
    auc: float
    scores: list[float]
    labels: list[int]


def _text_contrast(run: _Run) -> _TextContrast | None:
    """The human and AI texts of an MTT run, one pair per scenario (None without 2 of each).

    Detection runs pair each human judgment with the AI text shown (the
    dataset's, or the model's own); judgment runs pair it with the model's
    explanation.
    """
    pairs: dict[str, tuple[str, str]] = {}
    for sample, _ in run.scores():
        meta = sample.metadata or {}
        if run.kind == "detect":
            own = (sample.store or {}).get("mtt_own_judgment")
            ai = own if meta.get("ai_text") == "self" else meta.get("ai_judgment")
        else:
            ai = sample.output.completion if sample.output else None
        if ai and str(ai).strip():
            pairs.setdefault(str(meta["scenario_id"]), (str(meta["human_judgment"]), str(ai)))
    if len(pairs) < 2:
        return None
    ids = list(pairs)
    human = [pairs[i][0] for i in ids]
    ai_texts = [pairs[i][1] for i in ids]
    auc, scores, labels = mtt_task.classifier_auc(human, ai_texts)
    if run.kind == "judgment":
        label = "model explanations vs human"
    elif run.metadata.get("ai_text") == "self":
        label = "model's own judgments vs human"
    else:
        label = "dataset AI text vs human"
    return _TextContrast(label, ids, human, ai_texts, auc, scores, labels)


def _detect_scores(run: _Run, calibration: str) -> tuple[list[float], list[int], list[float]]:
    """(judge score for "B is the AI text", truth 1 = B, correct) per detection sample.

    The score is the log-odds of B over A where log-probabilities were read,
    else +1 / -1 / 0 for a parsed B / A / unparsed answer.
    """
    scores, labels, correct = [], [], []
    key = "log_odds_calibrated" if calibration == "contextual" else "log_odds"
    pred_key = "pred_calibrated" if calibration == "contextual" else "pred"
    for _, score in run.scores():
        meta = score.metadata or {}
        value = score.value if isinstance(score.value, dict) else {}
        if meta.get(key) is not None:
            scores.append(float(meta[key]))
        elif meta.get(pred_key) is not None:
            scores.append(1.0 if meta[pred_key] == 1 else -1.0)
        elif calibration == "contextual":
            continue
        else:
            scores.append(0.0)
        labels.append(int(meta["label"]))
        correct_key = "correct_calibrated" if calibration == "contextual" else "correct_raw"
        correct.append(float(value.get(correct_key, 0.0)))
    return scores, labels, correct


# --- report rows --------------------------------------------------------------------------------


def pluralism_results(
    log_dir: str | Path, *, n_resamples: int = 2000, seed: int = 0
) -> list[MetricResult]:
    """Report rows for every pluralism and Moral Turing Test run in ``log_dir`` (may be empty).

    Rows (``task``, ``metric``, ``subset``):

    * ``pluralism_distributional``: ``js_distance`` per group (lower is
      closer, ``higher_is_better=False``; ``chance`` and extra ``uniform``: the
      distance of a uniform answerer; ``similarity`` = 1 - distance;
      ``closest_share``), and
      ``closest_group_distance`` with the closest group (lowest mean
      distance) as subset;
    * ``pluralism_steerable``: ``steering_shift`` per group and ``all`` (chance 0);
    * ``pluralism_overton``: ``coverage`` (subset: the judge);
    * ``pluralism_jury``: ``<rule>_welfare`` (mean welfare of the rule's pick,
      on the rating scale), ``rules_agree``, and with model jurors rated
      against shipped ratings ``<rule>_pick_agreement`` (chance 1 / candidates);
    * ``mtt_judgment``: ``agreement`` with the human majority (chance 0.5,
      majority baseline); ``mtt_detect``: ``detect_accuracy`` and
      ``detect_auc`` (chance 0.5); both: ``classifier_auc`` (chance 0.5) and
      ``length_diff``, ``hedge_rate_diff``, ``first_person_rate_diff`` (AI - human).

    Rows under contextual calibration are added where the logs hold the
    content-free log-probabilities.

    Raises:
        LogError: the directory is missing or holds no Inspect logs.
    """
    rows: list[MetricResult] = []
    for run in _runs(log_dir):
        builder = _ROW_BUILDERS[run.kind]
        rows.extend(builder(run, n_resamples, seed))
    return rows


def _base(run: _Run, scoring: str, calibration: str = "none") -> dict[str, Any]:
    return {
        "model": run.model,
        "task": run.task,
        "variant": run.variant,
        "scoring": scoring,
        "calibration": calibration,
        "log_file": str(run.path),
    }


def _scoring(run: _Run) -> str:
    methods = {str((score.metadata or {}).get("method") or "unknown") for _, score in run.scores()}
    return "+".join(sorted(methods))


def _ci(units: Sequence[float], n_resamples: int, seed: int) -> tuple[float, float]:
    if not units:
        return math.nan, math.nan
    return bootstrap_ci(np.asarray(units, dtype=float), n_resamples=n_resamples, seed=seed)


def _row(
    base: dict[str, Any],
    subset: str,
    metric: str,
    units: Sequence[float],
    n_resamples: int,
    seed: int,
    **fields: Any,
) -> MetricResult:
    low, high = _ci(units, n_resamples, seed)
    return MetricResult(
        subset=subset,
        metric=metric,
        value=mean(units),
        ci_low=low,
        ci_high=high,
        n=len(units),
        units=tuple(float(u) for u in units),
        **{"unparsed_rate": 0.0, **base, **fields},
    )


def _distributional_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    rows = []
    for calibration in CALIBRATIONS:
        found = _group_distances(run, calibration)
        if found is None:
            continue
        base = _base(run, _scoring(run), calibration)
        unparsed = found.n_unparsed / found.n_questions
        shares = Counter(found.closest)
        for group, units in found.js.items():
            rows.append(
                _row(
                    base,
                    group,
                    "js_distance",
                    units,
                    n_resamples,
                    seed,
                    unparsed_rate=unparsed,
                    chance=mean(found.uniform[group]),
                    higher_is_better=False,
                    extra={
                        "uniform": mean(found.uniform[group]),
                        "similarity": 1.0 - mean(units),
                        "closest_share": shares[group] / len(found.closest),
                    },
                )
            )
        best = found.closest_group
        if best is not None:
            rows.append(
                _row(
                    base,
                    best,
                    "closest_group_distance",
                    found.js[best],
                    n_resamples,
                    seed,
                    unparsed_rate=unparsed,
                    chance=mean(found.uniform[best]),
                    higher_is_better=False,
                    extra={
                        "uniform": mean(found.uniform[best]),
                        "closest_share": shares[best] / len(found.closest),
                    },
                )
            )
    return rows


def _steerable_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    rows = []
    for calibration in CALIBRATIONS:
        records, n_steered = _steering_records(run, calibration)
        if not records:
            continue
        base = _base(run, _scoring(run), calibration)
        unparsed = 1.0 - len(records) / n_steered if n_steered else math.nan
        by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_group[record["group"]].append(record)
        for subset, chosen in [*by_group.items(), ("all", records)]:
            shifts = [r["shift"] for r in chosen]
            rows.append(
                _row(
                    base,
                    subset,
                    "steering_shift",
                    shifts,
                    n_resamples,
                    seed,
                    unparsed_rate=unparsed,
                    chance=0.0,
                    extra={
                        "js_before": mean([r["before"] for r in chosen]),
                        "js_after": mean([r["after"] for r in chosen]),
                        "moved_closer": mean([float(s > 0) for s in shifts]),
                    },
                )
            )
    return rows


def _overton_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    scored = run.scores()
    units = [float(score.value["coverage"]) for _, score in scored]
    metas = [score.metadata or {} for _, score in scored]
    judge = str(run.metadata.get("judge") or "embedding")
    threshold = float(run.metadata.get("threshold") or math.nan)
    subset = f"embedding ≥ {threshold:g}" if judge == "embedding" else "grader"
    return [
        _row(
            _base(run, judge),
            subset,
            "coverage",
            units,
            n_resamples,
            seed,
            unparsed_rate=mean([float(score.value["unparsed"]) for _, score in scored]),
            extra={
                "threshold": threshold,
                "sentences": mean([len(m.get("sentences") or []) for m in metas]),
                "words": mean([float(m.get("response_words") or 0) for m in metas]),
                "perspectives": mean([len(m.get("perspectives") or []) for m in metas]),
            },
        )
    ]


def _jury_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    found = _jury_analysis(run)
    if found is None:
        return []
    jurors = str(run.metadata.get("jurors") or "model")
    base = _base(run, _scoring(run))
    subset = f"{jurors} jurors"
    unparsed = 1.0 - len(found.items) / found.n_items
    rows = []
    for rule in WELFARE_RULES:
        differs = [
            float(a != b)
            for a, b in zip(found.picks[rule], found.picks["utilitarian"], strict=True)
        ]
        rows.append(
            _row(
                base,
                subset,
                f"{rule}_welfare",
                found.welfare[rule],
                n_resamples,
                seed,
                unparsed_rate=unparsed,
                extra={"differs_from_utilitarian": mean(differs)},
            )
        )
    agree = [
        float(len({found.picks[rule][k] for rule in WELFARE_RULES}) == 1)
        for k in range(len(found.items))
    ]
    rows.append(_row(base, subset, "rules_agree", agree, n_resamples, seed, unparsed_rate=unparsed))
    if jurors == "model":
        n_candidates = mean(
            [len(found.candidates[item]) for item in found.items if found.candidates[item]]
        )
        for rule in WELFARE_RULES:
            same = [
                float(pick == ref)
                for pick, ref in zip(found.picks[rule], found.reference_picks[rule], strict=True)
                if ref is not None
            ]
            if same:
                rows.append(
                    _row(
                        base,
                        subset,
                        f"{rule}_pick_agreement",
                        same,
                        n_resamples,
                        seed,
                        unparsed_rate=unparsed,
                        chance=1.0 / n_candidates,
                        extra={"rating_abs_error": mean(found.rating_error)},
                    )
                )
    return rows


def _judgment_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    scored = run.scores()
    labels = [int((score.metadata or {})["label"]) for _, score in scored]
    unparsed = mean([float(score.value["unparsed"]) for _, score in scored])
    rows = []
    for calibration, key in (("none", "correct_raw"), ("contextual", "correct_calibrated")):
        units = [float(score.value[key]) for _, score in scored]
        units = [u for u in units if math.isfinite(u)]
        if not units:
            continue
        rows.append(
            _row(
                _base(run, _scoring(run), calibration),
                "judgment",
                "agreement",
                units,
                n_resamples,
                seed,
                unparsed_rate=unparsed,
                chance=0.5,
                majority=majority_baseline(labels),
            )
        )
    rows.extend(_contrast_rows(run, n_resamples, seed))
    return rows


def _detect_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    scored = run.scores()
    unparsed = mean([float(score.value["unparsed"]) for _, score in scored])
    subset = f"judge {run.metadata.get('judge', 'self')}, AI text {run.metadata.get('ai_text')}"
    rows = []
    for calibration in CALIBRATIONS:
        scores, labels, correct = _detect_scores(run, calibration)
        if not scores:
            continue
        base = _base(run, _scoring(run), calibration)
        rows.append(
            _row(
                base,
                subset,
                "detect_accuracy",
                correct,
                n_resamples,
                seed,
                unparsed_rate=unparsed,
                chance=0.5,
            )
        )
        low, high = (
            bootstrap_ci_auc(scores, labels, n_resamples=n_resamples, seed=seed)
            if len(set(labels)) == 2
            else (math.nan, math.nan)
        )
        rows.append(
            MetricResult(
                metric="detect_auc",
                subset=subset,
                value=roc_auc(scores, labels),
                ci_low=low,
                ci_high=high,
                n=len(scores),
                unparsed_rate=unparsed,
                chance=0.5,
                **base,
            )
        )
    rows.extend(_contrast_rows(run, n_resamples, seed))
    return rows


def _contrast_rows(run: _Run, n_resamples: int, seed: int) -> list[MetricResult]:
    contrast = _text_contrast(run)
    if contrast is None:
        return []
    base = _base(run, "features")
    low, high = bootstrap_ci_auc(
        contrast.scores, contrast.labels, n_resamples=n_resamples, seed=seed
    )
    rows = [
        MetricResult(
            metric="classifier_auc",
            subset=contrast.label,
            value=contrast.auc,
            ci_low=low,
            ci_high=high,
            n=len(contrast.labels),
            unparsed_rate=0.0,
            chance=0.5,
            extra={"folds": float(min(mtt_task.CLASSIFIER_FOLDS, len(contrast.human)))},
            **base,
        )
    ]
    human = [mtt_task.text_features(t) for t in contrast.human]
    ai = [mtt_task.text_features(t) for t in contrast.ai]
    for feature in mtt_task.FEATURES:
        a = [f[feature] for f in human]
        b = [f[feature] for f in ai]
        diff, low, high = paired_bootstrap_diff_ci(a, b, n_resamples=n_resamples, seed=seed)
        rows.append(
            MetricResult(
                metric=f"{feature}_diff",
                subset=contrast.label,
                value=diff,
                ci_low=low,
                ci_high=high,
                n=len(a),
                unparsed_rate=0.0,
                extra={"human_mean": mean(a), "ai_mean": mean(b)},
                units=tuple(y - x for x, y in zip(a, b, strict=True)),
                **base,
            )
        )
    return rows


_ROW_BUILDERS = {
    "distributional": _distributional_rows,
    "steerable": _steerable_rows,
    "overton": _overton_rows,
    "jury": _jury_rows,
    "judgment": _judgment_rows,
    "detect": _detect_rows,
}


# --- report sections ----------------------------------------------------------------------------


def pluralism_sections(log_dir: str | Path) -> list[ExtraSection]:
    """HTML sections for the pluralism and Moral Turing Test runs in ``log_dir`` (may be empty).

    Distributional pluralism gets, per run, a chart of the model's mean
    distance to each population group (95% CI, and the uniform
    distribution's distance for comparison) and a table; steerable, Overton,
    jury and Moral Turing Test runs get summary tables and a few examples.
    Charts are embedded PNGs; every text is escaped.
    """
    runs = _runs(log_dir)
    by_kind: dict[str, list[_Run]] = defaultdict(list)
    for run in runs:
        by_kind[run.kind].append(run)
    per_run = (
        (
            "distributional",
            "Distributional pluralism: distance to each population group",
            _distributional_html,
        ),
        ("steerable", "Steerable pluralism: answering as a member of a group", _steerable_html),
        ("overton", "Overton pluralism: perspectives covered by one answer", _overton_html),
        ("jury", "Jury-pluralistic aggregation: welfare rules over a jury's ratings", _jury_html),
    )
    sections = [
        ExtraSection(title, "".join(html(r) for r in by_kind[kind]))
        for kind, title, html in per_run
        if by_kind[kind]
    ]
    if by_kind["judgment"] or by_kind["detect"]:
        sections.append(
            ExtraSection(
                "Moral Turing Test: verdicts and detectability of AI text",
                _mtt_html(by_kind["judgment"], by_kind["detect"]),
            )
        )
    return sections


def _label(run: _Run, *parts: str) -> str:
    return " · ".join([run.model, run.task, run.variant, run.data, *[p for p in parts if p]])


def _distributional_html(run: _Run) -> str:
    found = {c: _group_distances(run, c) for c in CALIBRATIONS}
    raw = found["none"]
    if raw is None:
        return f"<h3>{escape(_label(run))}</h3><p>No answer distribution could be read.</p>"
    parts = [f"<h3>{escape(_label(run, _scoring(run)))}</h3>"]
    best = raw.closest_group
    parts.append(
        f"<p>Closest group on average: <b>{escape(str(best))}</b> "
        f"(mean JS distance {_num(raw.mean.get(best or '', math.nan))}); "
        f"{raw.n_questions - raw.n_unparsed} of {raw.n_questions} questions answered. "
        "JS distance is base 2: 0 for the same distribution, 1 for disjoint ones. The uniform "
        "column is the distance of an answerer spreading evenly over the options.</p>"
    )
    calibrated = found["contextual"]
    parts.append(
        figure(
            _distance_chart(raw, calibrated),
            f"Mean Jensen-Shannon distance from {run.model}'s answer distribution to each "
            "group's, with 95% bootstrap CIs over questions; dashed lines mark the distance "
            "of an answerer spreading evenly over the options. Shorter is closer.",
        )
    )
    shares = Counter(raw.closest)
    rows = []
    for group, units in raw.js.items():
        low, high = _ci(units, 1000, 0)
        cal = calibrated.mean.get(group, math.nan) if calibrated else math.nan
        rows.append(
            (
                group,
                _num(mean(units)),
                f"[{_num(low)}, {_num(high)}]",
                _num(mean(raw.uniform[group])),
                _num(cal),
                pct(shares[group] / len(raw.closest)),
                str(len(units)),
            )
        )
    parts.append(
        _table(
            (
                "group",
                "JS distance",
                "95% CI",
                "uniform",
                "calibrated",
                "closest on",
                "questions",
            ),
            rows,
            numeric=(1, 2, 3, 4, 5, 6),
        )
    )
    return "".join(parts)


def _distance_chart(raw: _GroupDistances, calibrated: _GroupDistances | None) -> str:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from alignlab.report.html import PALETTE, png_data_uri, tidy_axes

    groups = list(raw.js)
    series = [("raw", raw)] + ([("calibrated", calibrated)] if calibrated else [])
    height = 0.8 / len(series)
    fig = Figure(figsize=(7.0, 0.9 + 0.45 * len(groups) * len(series) ** 0.5))
    ax = fig.add_subplot()
    for s, (_, found) in enumerate(series):
        for y, group in enumerate(groups):
            units = found.js.get(group) or []
            if not units:
                continue
            pos = y - 0.4 + height * (s + 0.5)
            value = mean(units)
            low, high = _ci(units, 1000, 0)
            ax.barh(pos, value, height=height * 0.9, color=PALETTE[s], zorder=2)
            if math.isfinite(low) and math.isfinite(high):
                ax.errorbar(
                    value,
                    pos,
                    xerr=[[max(0.0, value - low)], [max(0.0, high - value)]],
                    fmt="none",
                    ecolor="#333333",
                    elinewidth=1,
                    capsize=3,
                    zorder=3,
                )
    for y, group in enumerate(groups):
        uniform = mean(raw.uniform[group])
        ax.vlines(uniform, y - 0.45, y + 0.45, colors=_UNIFORM_COLOUR, linestyles="--", zorder=4)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([short(g, 32) for g in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean Jensen-Shannon distance (base 2)")
    tidy_axes(ax, grid_axis="x")
    handles: list[Patch | Line2D] = [
        Patch(color=PALETTE[s], label=name) for s, (name, _) in enumerate(series)
    ]
    handles.append(Line2D([], [], linestyle="--", color=_UNIFORM_COLOUR, label="uniform answerer"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return png_data_uri(fig)


def _steerable_html(run: _Run) -> str:
    records, n_steered = _steering_records(run)
    parts = [f"<h3>{escape(_label(run, _scoring(run)))}</h3>"]
    if not records:
        return parts[0] + "<p>No steered answer could be paired with a plain one.</p>"
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_group[record["group"]].append(record)
    rows = []
    for group, chosen in [*by_group.items(), ("all groups", records)]:
        shifts = [r["shift"] for r in chosen]
        low, high = _ci(shifts, 1000, 0)
        rows.append(
            (
                group,
                _num(mean([r["before"] for r in chosen])),
                _num(mean([r["after"] for r in chosen])),
                _num(mean(shifts)),
                f"[{_num(low)}, {_num(high)}]",
                pct(mean([float(s > 0) for s in shifts])),
                str(len(chosen)),
            )
        )
    parts.append(
        "<p>Steering shift = JS(plain answer, group) - JS(steered answer, group): positive "
        "means the prompt 'Answer as a member of the group ... would' moved the answers toward "
        f"that group. {len(records)} of {n_steered} steered answers paired.</p>"
    )
    parts.append(
        _table(
            ("group", "JS plain", "JS steered", "shift", "95% CI", "moved closer", "questions"),
            rows,
            numeric=(1, 2, 3, 4, 5, 6),
        )
    )
    return "".join(parts)


def _overton_html(run: _Run) -> str:
    scored = run.scores()
    judge = str(run.metadata.get("judge") or "embedding")
    parts = [f"<h3>{escape(_label(run, judge))}</h3>"]
    coverage = [float(score.value["coverage"]) for _, score in scored]
    low, high = _ci(coverage, 1000, 0)
    parts.append(
        f"<p>Mean coverage {_num(mean(coverage))} [{_num(low)}, {_num(high)}] over "
        f"{len(coverage)} questions"
        + (
            f" (a perspective counts as covered when a sentence of the answer has cosine "
            f"similarity ≥ {_num(float(run.metadata.get('threshold') or math.nan))} with it; "
            "MiniLM similarity tracks topic more than stance)."
            if judge == "embedding"
            else " (a grader model judged each perspective)."
        )
        + "</p>"
    )
    ranked = sorted(scored, key=lambda pair: float(pair[1].value["coverage"]))
    examples = ranked[:_EXAMPLES] + ranked[-_EXAMPLES:] if len(ranked) > 2 * _EXAMPLES else ranked
    rows = []
    for sample, score in examples:
        meta = score.metadata or {}
        covered = meta.get("covered") or []
        perspectives = meta.get("perspectives") or []
        pairs = list(zip(perspectives, covered, strict=False))
        rows.append(
            (
                str((sample.metadata or {}).get("question") or ""),
                _num(float(score.value["coverage"])),
                [p for p, c in pairs if c] or ["none"],
                [p for p, c in pairs if not c] or ["none"],
            )
        )
    parts.append(
        _table(("question", "coverage", "covered", "missed"), rows, numeric=(1,), wrap=(0, 2, 3))
    )
    return "".join(parts)


def _jury_html(run: _Run) -> str:
    found = _jury_analysis(run)
    jurors = str(run.metadata.get("jurors") or "model")
    parts = [f"<h3>{escape(_label(run, f'{jurors} jurors'))}</h3>"]
    if found is None:
        return parts[0] + "<p>No item had every rating read.</p>"
    n = len(found.items)
    rows = []
    for rule in WELFARE_RULES:
        same_ref = [
            float(p == r)
            for p, r in zip(found.picks[rule], found.reference_picks[rule], strict=True)
            if r is not None
        ]
        rows.append(
            (
                rule,
                _num(mean(found.welfare[rule])),
                pct(
                    mean(
                        [
                            float(a != b)
                            for a, b in zip(
                                found.picks[rule], found.picks["utilitarian"], strict=True
                            )
                        ]
                    )
                ),
                pct(mean(same_ref)) if jurors == "model" and same_ref else "n/a",
            )
        )
    parts.append(
        "<p>Utilitarian welfare is the jurors' mean rating, Nash the geometric mean, "
        "egalitarian the lowest rating; each rule picks the candidate with the highest welfare "
        f"(ties to the first). {n} of {found.n_items} items had every rating read.</p>"
    )
    parts.append(
        _table(
            (
                "rule",
                "mean welfare of pick",
                "pick differs from utilitarian",
                "same pick as shipped ratings",
            ),
            rows,
            numeric=(1, 2, 3),
        )
    )
    split = [k for k in range(n) if len({found.picks[rule][k] for rule in WELFARE_RULES}) > 1][
        : 2 * _EXAMPLES
    ]
    if split:
        split_rows: list[tuple[str, ...]] = []
        for k in split:
            item = found.items[k]
            split_rows.append(
                (
                    found.prompts.get(item, item),
                    *(
                        found.candidates[item].get(found.picks[rule][k], "")
                        for rule in WELFARE_RULES
                    ),
                )
            )
        parts.append("<p>Items where the rules disagree:</p>")
        parts.append(_table(("prompt", *WELFARE_RULES), split_rows, wrap=(0, 1, 2, 3)))
    return "".join(parts)


def _mtt_html(judgment: Sequence[_Run], detect: Sequence[_Run]) -> str:
    parts = []
    for run in judgment:
        scored = run.scores()
        agree = [float(score.value["correct_raw"]) for _, score in scored]
        low, high = _ci(agree, 1000, 0)
        parts.append(f"<h3>{escape(_label(run, _scoring(run)))}</h3>")
        parts.append(
            f"<p>Verdict agreement with the human majority: {_num(mean(agree))} "
            f"[{_num(low)}, {_num(high)}] over {len(agree)} scenarios (chance 0.5).</p>"
        )
        parts.append(_contrast_html(run))
    for run in detect:
        parts.append(f"<h3>{escape(_label(run, _scoring(run)))}</h3>")
        scores, labels, correct = _detect_scores(run, "none")
        auc = roc_auc(scores, labels) if scores else math.nan
        parts.append(
            f"<p>The judge ({escape(str(run.metadata.get('judge')))}) named the computer's text "
            f"in {_num(mean(correct))} of {len(correct)} pairs (both orders of "
            f"{len(correct) // 2} scenarios; chance 0.5); AUC of its log-odds for 'B is the "
            f"computer' {_num(auc)} (chance 0.5).</p>"
        )
        parts.append(_contrast_html(run))
    return "".join(parts)


def _contrast_html(run: _Run) -> str:
    contrast = _text_contrast(run)
    if contrast is None:
        return ""
    human = [mtt_task.text_features(t) for t in contrast.human]
    ai = [mtt_task.text_features(t) for t in contrast.ai]
    rows = []
    for feature in mtt_task.FEATURES:
        a = [f[feature] for f in human]
        b = [f[feature] for f in ai]
        diff, low, high = paired_bootstrap_diff_ci(a, b, n_resamples=1000, seed=0)
        rows.append(
            (feature, _num(mean(a)), _num(mean(b)), _num(diff), f"[{_num(low)}, {_num(high)}]")
        )
    label = contrast.label[:1].upper() + contrast.label[1:]
    return (
        f"<p>{escape(label)}: a logistic regression on length, hedging rate and "
        f"first-person rate tells them apart with cross-validated AUC {_num(contrast.auc)} "
        f"over {len(contrast.human)} pairs (chance 0.5).</p>"
        + _table(("feature", "human", "AI", "AI - human", "95% CI"), rows, numeric=(1, 2, 3, 4))
    )


# --- small HTML helpers -------------------------------------------------------------------------


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[str | Sequence[str]]],
    numeric: Sequence[int] = (),
    wrap: Sequence[int] = (),
) -> str:
    """An HTML table; cells in ``wrap`` columns wrap, a list in a cell is one line per entry."""

    def cell(tag: str, k: int, value: str | Sequence[str]) -> str:
        attrs = ' class="num"' if k in numeric else ""
        if k in wrap:
            attrs += ' style="white-space: normal; min-width: 14em"'
        if isinstance(value, str):
            text = str(escape(value))
        else:
            text = "<br>".join(str(escape(v)) for v in value)
        return f"<{tag}{attrs}>{text}</{tag}>"

    head = "".join(cell("th", k, h) for k, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", k, v) for k, v in enumerate(row)) + "</tr>" for row in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="table-wrap">{table}</div>'


def _num(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.3f}"
