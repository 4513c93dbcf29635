"""WorldView-Bench (Mushtaq et al., arXiv 2505.09595) as an Inspect task: how many worldviews an
answer draws on.

``worldview`` asks each culturally loaded question plainly (the paper's
baseline condition; the ``multiplex`` and ``council`` interventions give its
other two conditions), lets the model answer free-form, and reads the
cultural perspectives the answer draws on with one of the extractors of
:mod:`alignlab.benchmarks.worldview.extract` (``judge``: offline embeddings by
default, or ``grader``, the grader model role). Each answer gets its perspective counts ``c_k`` over
the ``K`` perspectives of the set, its Perspectives Distribution Score
:func:`~alignlab.metrics.pds_entropy` (normalised Shannon entropy, 0 = one
perspective, 1 = even over all K), and the sentiment of each reference.

Metrics on the scorer (so ``inspect view`` shows them): ``pds_mean``, the
per-answer score averaged over answers with at least one reference;
``pds_pooled``, the score of the counts summed over all answers; the
sentiment shares of all references; ``no_reference_rate`` (answers that drew
on no perspective; their PDS is undefined) and ``unparsed_rate`` (answers
the extractor could not read).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, metric, scorer
from inspect_ai.solver import TaskState, generate

from alignlab.benchmarks._common import TaskOptions, check_option
from alignlab.benchmarks.worldview.data import load_questions
from alignlab.benchmarks.worldview.extract import (
    EMBEDDING_THRESHOLD,
    EXTRACTORS,
    ExtractorName,
    make_extractor,
    perspective_counts,
)
from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext
from alignlab.interventions.council import TRANSCRIPT_KEY
from alignlab.interventions.traditions import load_traditions
from alignlab.metrics import SENTIMENTS, pds_entropy
from alignlab.scorers.forced_choice import unparsed_rate

FAMILY = "worldview"
TASK = "worldview"
SCORER = "worldview_scorer"
VARIANTS = ("paper",)
MAX_TOKENS = 320


def worldview_samples(data_dir: str | None = None, limit: int | None = None) -> list[Sample]:
    """One sample per question (the first ``limit``), asked plainly."""
    return [
        Sample(
            id=q.id,
            input=q.question,
            metadata={"question_id": q.id, "domain": q.domain, "question": q.question},
        )
        for q in load_questions(data_dir)[:limit]
    ]


def _parsed(scores: list[SampleScore]) -> list[dict[str, Any]]:
    """The score values of the answers the extractor read."""
    return [
        s.score.value
        for s in scores
        if isinstance(s.score.value, dict) and not s.score.value.get("unparsed")
    ]


def pooled_counts(scores: list[SampleScore]) -> np.ndarray | None:
    """Perspective counts summed over the read answers, or None when none was read."""
    rows = [
        s.score.metadata["counts"]
        for s in scores
        if isinstance(s.score.value, dict)
        and not s.score.value.get("unparsed")
        and s.score.metadata
    ]
    return np.sum(rows, axis=0) if rows else None


@metric
def pds_mean() -> Metric:
    """Per-answer PDS entropy, averaged over the answers with at least one reference."""

    def compute(scores: list[SampleScore]) -> float:
        values = [float(v["pds"]) for v in _parsed(scores)]
        finite = [v for v in values if math.isfinite(v)]
        return float(np.mean(finite)) if finite else math.nan

    return compute


@metric
def pds_pooled() -> Metric:
    """PDS entropy of the perspective counts pooled over all read answers."""

    def compute(scores: list[SampleScore]) -> float:
        counts = pooled_counts(scores)
        return math.nan if counts is None else pds_entropy(counts)

    return compute


@metric
def no_reference_rate() -> Metric:
    """Share of read answers that drew on no cultural perspective."""

    def compute(scores: list[SampleScore]) -> float:
        parsed = _parsed(scores)
        if not parsed:
            return math.nan
        return float(np.mean([v["references"] == 0 for v in parsed]))

    return compute


@metric
def sentiment_share() -> Metric:
    """Share of all references (read answers) that are positive, neutral and negative."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        totals = {s: 0.0 for s in SENTIMENTS}
        for value in _parsed(scores):
            for s in SENTIMENTS:
                totals[s] += float(value[s])
        n = sum(totals.values())
        return {f"{s}_share": (totals[s] / n if n else math.nan) for s in SENTIMENTS}

    return compute


@scorer(
    metrics=[
        pds_mean(),
        pds_pooled(),
        sentiment_share(),
        no_reference_rate(),
        unparsed_rate(),
    ]
)
def worldview_scorer(
    judge: ExtractorName = "embedding",
    threshold: float = EMBEDDING_THRESHOLD,
    perspectives: str | None = None,
) -> Scorer:
    """Perspective counts, PDS entropy and sentiments of one answer (see the module docstring).

    The value holds ``pds`` (NaN when the answer drew on no perspective or
    was not read), ``references``, ``perspectives_used`` (distinct
    perspectives), the count of each sentiment and ``unparsed``. The
    metadata keeps the perspective names and counts, every reference with
    its evidence, what the extractor measured, the grader's raw replies, and
    the ``council`` agents' contributions when that intervention ran.
    """
    check_option("judge", judge, EXTRACTORS)
    if not 0.0 < threshold <= 1.0:
        raise UnknownTaskError(f"threshold must be in (0, 1], got {threshold}")
    traditions = load_traditions(perspectives)
    names = [t.name for t in traditions]
    reader = make_extractor(judge, traditions, threshold)

    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion if state.output else ""
        extraction = await reader.extract(str(state.metadata.get("question", "")), answer)
        meta: dict[str, Any] = {
            "question_id": state.metadata.get("question_id"),
            "domain": state.metadata.get("domain"),
            "judge": judge,
            "perspectives": names,
            "detail": dict(extraction.detail),
            "raw": list(extraction.raw),
        }
        council = state.store.get(TRANSCRIPT_KEY)
        if council:
            meta["council"] = council
        if extraction.references is None:
            meta["counts"] = [0] * len(names)
            return Score(
                value={
                    "pds": math.nan,
                    "references": math.nan,
                    "perspectives_used": math.nan,
                    **{s: 0 for s in SENTIMENTS},
                    "unparsed": 1.0,
                },
                answer=answer,
                explanation="the extractor's reply could not be read",
                metadata=meta,
            )
        references = extraction.references
        counts = perspective_counts(references, names)
        meta["counts"] = counts
        meta["references"] = [
            {"perspective": r.perspective, "sentiment": r.sentiment, "evidence": r.evidence}
            for r in references
        ]
        used = sum(c > 0 for c in counts)
        return Score(
            value={
                "pds": pds_entropy(counts),
                "references": len(references),
                "perspectives_used": used,
                **{s: sum(r.sentiment == s for r in references) for s in SENTIMENTS},
                "unparsed": 0.0,
            },
            answer=answer,
            explanation=f"{len(references)} references to {used} of {len(names)} perspectives",
            metadata=meta,
        )

    return score


@task
def worldview(
    variant: str = "paper",
    data_dir: str | None = None,
    split: str = "test",
    limit: int | None = None,
    seed: int = 0,
    intervention: str | list[str] | None = None,
    judge: ExtractorName = "embedding",
    threshold: float = EMBEDDING_THRESHOLD,
    perspectives: str | None = None,
    max_tokens: int = MAX_TOKENS,
) -> Task:
    """WorldView-Bench: the spread of cultural perspectives in free-form answers.

    Args:
        variant: only ``paper`` (the question asked plainly; the paper's other
            conditions are the ``multiplex`` and ``council`` interventions).
        data_dir: a questions file in the documented layout (or its directory); None
            for the bundled questions.
        split: only ``test``.
        limit: ask the first ``limit`` questions.
        seed: the generation seed passed to the model (decoding is greedy).
        intervention: interventions run before the answer (``multiplex``, ``council``, ...).
        judge: the extractor: ``embedding`` (offline, all-MiniLM-L6-v2) or ``grader`` (the
            grader model role).
        threshold: cosine similarity at which a sentence references a perspective
            (embedding extractor).
        perspectives: a JSON-lines file of perspectives (``name``, ``description``);
            None for the nine default traditions.
        max_tokens: answer length.
    """
    options = TaskOptions.of(TASK, locals(), variants=VARIANTS, splits=("test",))
    before = options.solvers(InterventionContext(task=TASK, family=FAMILY))
    return Task(
        dataset=MemoryDataset(worldview_samples(data_dir, limit), name=TASK),
        solver=[*before, generate()],
        scorer=worldview_scorer(judge=judge, threshold=threshold, perspectives=perspectives),
        config=GenerateConfig(max_tokens=max_tokens, temperature=0.0, seed=seed),
        name=TASK,
        metadata={
            "family": FAMILY,
            "variant": variant,
            "judge": judge,
            "threshold": threshold,
            "perspectives": perspectives or "default",
            "data": data_dir or "bundled",
            "intervention": options.intervention_label,
        },
    )
