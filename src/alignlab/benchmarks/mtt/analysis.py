"""Moral Turing Test report: rows and a section from the logs of its two tasks.

Pure functions over the family's :class:`~alignlab.report.logs.RunLog` s.
The rows are computed by :mod:`alignlab.benchmarks.mtt.paper_metrics`, the
same functions the tasks' Inspect metric runs; value, CI and n are taken
from the log's metrics where the log holds them (logs written before the
metric existed, scored by ``forced_choice_scorer``, are recomputed from
their samples).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from alignlab.benchmarks._scored import (
    Scored,
    from_log_samples,
    kind_results,
    log_order,
    scoring_of,
    uncomputed_warning,
)
from alignlab.benchmarks.mtt import paper_metrics as pm
from alignlab.benchmarks.mtt.features import FEATURES
from alignlab.benchmarks.mtt.tasks import FAMILY, OWN_JUDGMENT_KEY, SCORER
from alignlab.report.format import interval, num
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Heading, Section, Table, Text

OLD_SCORER = "forced_choice_scorer"
"""The scorer of logs written before :func:`~alignlab.benchmarks.mtt.tasks.moral_turing_scorer`."""
KINDS = ("judgment", "detect")
SECTION_RESAMPLES = 1000
DEPARTURE = (
    "Aharoni et al. (Sci. Rep. 2024) rate the quality of each human and AI explanation "
    "(virtue, intelligence, trustworthiness, ...) by human participants and compare the "
    "ratings with paired t-tests. alignlab has no human raters and measures no quality "
    "ratings: it reports verdict agreement, the judge's identification accuracy (the paper's "
    "second phase), and paired surface contrasts with a paired t-test (t, p) beside each "
    "bootstrap CI."
)


def kind_of(run: RunLog) -> str:
    """``judgment`` or ``detect``."""
    return str(run.metadata.get("kind") or "")


def scored(run: RunLog) -> list[Scored]:
    """The run's scored samples in log order; for old logs the AI side of each text pair is
    taken from the sample (the model's explanation, or the AI text shown)."""
    records = from_log_samples(run.samples, SCORER)
    if records:
        return records
    old = {log_order(s.id): s for s in run.samples}
    out = []
    for r in from_log_samples(run.samples, OLD_SCORER):
        sample = old[r.id]
        out.append(replace(r, metadata={**r.metadata, pm.AI_TEXT_KEY: _old_ai_text(run, sample)}))
    return out


def _old_ai_text(run: RunLog, sample: Any) -> str | None:
    meta = sample.metadata or {}
    if kind_of(run) == "detect":
        own = (sample.store or {}).get(OWN_JUDGMENT_KEY)
        return own if meta.get("ai_text") == "self" else meta.get("ai_judgment")
    return sample.output.completion if sample.output else None


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY and kind_of(r) in KINDS]


def results(
    runs: Sequence[RunLog], *, n_resamples: int = pm.N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """Report rows of every Moral Turing Test run (see
    :mod:`~alignlab.benchmarks.mtt.paper_metrics`): ``mtt_judgment`` ``agreement``;
    ``mtt_detect`` ``detect_accuracy`` and ``detect_auc``; both ``classifier_auc`` and
    ``length_diff``, ``hedge_rate_diff``, ``first_person_rate_diff`` (AI - human)."""
    if n_resamples == pm.N_RESAMPLES and seed == 0:
        return [row for run in _ours(runs) for row in _run_rows(run)]
    return kind_results(
        _ours(runs), scored, pm.kind_rows, lambda run: SCORER, n_resamples, seed, False
    )


@functools.lru_cache(maxsize=64)
def _run_rows(run: RunLog) -> tuple[MetricResult, ...]:
    """The run's rows at the defaults, computed once: the table and the section show these."""
    return tuple(
        kind_results([run], scored, pm.kind_rows, lambda _: SCORER, pm.N_RESAMPLES, 0, True)
    )


def _row(rows: Sequence[MetricResult], metric: str) -> MetricResult | None:
    """The uncalibrated row of ``metric`` among one run's rows."""
    return next((r for r in rows if r.metric == metric and r.calibration == "none"), None)


def _said(row: MetricResult | None) -> str:
    """A row's value and CI as the table shows them ("n/a" when missing)."""
    if row is None:
        return "n/a"
    return f"{num(row.value)} {interval(row.ci_low, row.ci_high)}"


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: verdict agreement, the judge's detection, and the text contrasts per run,
    with the departure from the paper stated and warnings counting unread answers."""
    chosen = [(run, scored(run)) for run in _ours(runs)]
    chosen = [(run, records) for run, records in chosen if records]
    if not chosen:
        return []
    blocks: list[Block] = [Text(DEPARTURE, kind="muted")]
    warnings: list[str] = []
    for kind in KINDS:
        for run, records in chosen:
            if kind_of(run) != kind:
                continue
            blocks.append(Heading(_label(run, scoring_of(records))))
            unread = sum(float(s.value.get("unparsed", 0.0)) > 0 for s in records)
            if unread:
                warnings.append(
                    f"{_label(run)}: {unread} of {len(records)} answers could not be read "
                    "(scored as wrong)."
                )
            rows = _run_rows(run)
            if kind == "judgment":
                agree = _row(rows, "agreement")
                blocks.append(
                    Text(
                        f"Verdict agreement with the human majority: {_said(agree)} over "
                        f"{agree.n if agree else 0} scenarios (chance 0.5)."
                    )
                )
            else:
                accuracy, auc = _row(rows, "detect_accuracy"), _row(rows, "detect_auc")
                pairs = accuracy.n if accuracy else 0
                blocks.append(
                    Text(
                        f"The judge ({run.metadata.get('judge')}) named the computer's text with "
                        f"accuracy {_said(accuracy)} over {pairs} pairs (both orders of "
                        f"{pairs // 2} scenarios; chance 0.5); AUC of its log-odds for "
                        f"'B is the computer' {_said(auc)} (chance 0.5)."
                    )
                )
            found, warned = _contrast_blocks(run, records, rows)
            blocks.extend(found)
            warnings.extend(warned)
            warnings.extend(uncomputed_warning(_label(run), rows))
    title = "Moral Turing Test: verdicts and detectability of AI text"
    return [Section(title, tuple(blocks), tuple(warnings), family=FAMILY)]


def _label(run: RunLog, *parts: str) -> str:
    label = str(run.metadata.get("intervention") or "none")
    return " · ".join(
        [
            run.model,
            run.task,
            str(run.metadata.get("variant") or "default"),
            run.data,
            *[p for p in parts if p],
            *([f"intervention {label}"] if label != "none" else []),
        ]
    )


def _contrast_blocks(
    run: RunLog, records: Sequence[Scored], rows: Sequence[MetricResult]
) -> tuple[list[Block], list[str]]:
    contrast = pm.text_contrast(records, kind_of(run), run.metadata)
    classifier = _row(rows, "classifier_auc")
    if contrast is None or classifier is None:
        return [], [f"{_label(run)}: fewer than 2 scenarios have both texts; no text contrast."]
    table = []
    for feature in FEATURES:
        row = _row(rows, f"{feature}_diff")
        if row is None:
            continue
        table.append(
            (
                feature,
                num(row.extra.get("human_mean", math.nan)),
                num(row.extra.get("ai_mean", math.nan)),
                num(row.value),
                interval(row.ci_low, row.ci_high),
                num(row.extra.get("t", math.nan)),
                num(row.extra.get("p_value", math.nan)),
            )
        )
    label = contrast.label[:1].upper() + contrast.label[1:]
    return [
        Text(
            f"{label}: a logistic regression on length, hedging rate and first-person rate "
            f"tells them apart with cross-validated AUC {_said(classifier)} over "
            f"{len(contrast.human)} pairs (chance 0.5). This describes the texts (the "
            "data and the model's style together), not the model's values."
        ),
        Table.of(
            ("feature", "human", "AI", "AI - human", "95% CI", "paired t", "p"),
            table,
            numeric=(1, 2, 3, 4, 5, 6),
        ),
    ], []


def uncomputed_rows_warning(run: RunLog, records: Sequence[Scored]) -> list[str]:
    """A warning naming the run's rows whose value could not be computed (shown as n/a)."""
    # The values do not depend on the bootstrap, so one resample is enough here.
    return uncomputed_warning(
        _label(run), pm.kind_rows(kind_of(run), records, run.metadata, n_resamples=1)
    )
