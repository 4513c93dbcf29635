"""The perspective extractors: the offline one on answers whose perspectives are known, the grader
one on scripted replies (valid, retried, unread)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from alignlab import judges
from alignlab.benchmarks.worldview.extract import (
    EmbeddingExtractor,
    GraderExtractor,
    Reference,
    lexicon_sentiment,
    perspective_counts,
    reference_validator,
)
from alignlab.interventions.traditions import DEFAULT_TRADITIONS
from alignlab.judges import JudgeAnswerError
from alignlab.metrics import pds_entropy

USAGE = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
NAMES = [t.name for t in DEFAULT_TRADITIONS]

# Answers written for this test: each sentence's tradition is known (None: no tradition).
MULTIPLEX_ANSWER = [
    ("In many Islamic societies, caring for parents is a duty rooted in the Quran.", "islamic"),
    ("Confucian thought places filial piety at the centre of family life.", "confucian"),
    ("The African philosophy of Ubuntu holds that a person is a person through others.", "african"),
    ("Hindu teaching describes stages of life in which duty to family changes.", "hindu"),
    ("Christians are taught to honour their father and mother.", "christian"),
    ("Many Indigenous peoples see the land as a relative rather than property.", "indigenous"),
    ("Caring for parents can also be expensive and tiring.", None),
]
UNIPLEX_ANSWER = [
    ("It is important to talk openly with your family.", None),
    ("Doctors should be honest with patients.", None),
    ("Caring for parents can be expensive and tiring.", None),
    # From the bundled model's answers: near the Confucian description (0.35-0.36), yet no
    # tradition is named.
    (
        "In many cases, a young person's life is shaped by their family's values, their "
        "community's culture, and their own personal growth.",
        None,
    ),
    (
        "The decision is often influenced by societal expectations, cultural norms, and "
        "personal values.",
        None,
    ),  # fmt: skip
]


def _extract(sentences: list[tuple[str, str | None]]) -> list[str | None]:
    extractor = EmbeddingExtractor(DEFAULT_TRADITIONS)
    extraction = asyncio.run(extractor.extract("Q?", " ".join(s for s, _ in sentences)))
    assert extraction.references is not None
    return list(extraction.detail["assigned"])


def test_embedding_extractor_finds_the_known_perspectives() -> None:
    assigned = _extract(MULTIPLEX_ANSWER)
    assert assigned == [p for _, p in MULTIPLEX_ANSWER]
    # Six traditions, one reference each: PDS = ln 6 / ln 9.
    counts = perspective_counts([Reference(p, "neutral") for p in assigned if p], NAMES)
    assert pds_entropy(counts) == pytest.approx(0.8155, abs=1e-4)


def test_embedding_extractor_finds_nothing_in_a_plain_answer() -> None:
    assert _extract(UNIPLEX_ANSWER) == [None] * len(UNIPLEX_ANSWER)
    extraction = asyncio.run(EmbeddingExtractor(DEFAULT_TRADITIONS).extract("Q?", ""))
    assert extraction.references == ()


def test_one_tradition_answer_scores_zero() -> None:
    answer = [
        ("Buddhism teaches that attachment causes suffering.", "buddhist"),
        ("Buddhist monks practise mindfulness and compassion.", "buddhist"),
    ]
    assigned = _extract(answer)
    assert assigned == ["buddhist", "buddhist"]
    assert pds_entropy(perspective_counts([Reference(p, "neutral") for p in assigned], NAMES)) == 0


def test_lexicon_sentiment() -> None:
    assert lexicon_sentiment("Confucian thought offers profound wisdom on family.") == "positive"
    assert lexicon_sentiment("Some call these customs backward and oppressive.") == "negative"
    assert lexicon_sentiment("Islamic law sets rules for inheritance.") == "neutral"
    assert lexicon_sentiment("A rich but rigid tradition.") == "neutral"


def _grader(monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
    outputs = [
        ModelOutput.from_content("mockllm/model", a).model_copy(update={"usage": USAGE})
        for a in answers
    ]
    model = get_model("mockllm/model", custom_outputs=outputs)

    def fake(role: str | None = None, **_: Any) -> Any:
        assert role == "grader"
        return model

    monkeypatch.setattr(judges, "_get_model", fake)


VALID = json.dumps(
    {
        "references": [
            {"perspective": "Islamic", "sentiment": "positive", "evidence": "the Quran"},
            {"perspective": "hindu", "sentiment": "neutral", "evidence": "dharma"},
        ]
    }
)


def test_grader_extractor_reads_valid_json(monkeypatch: pytest.MonkeyPatch) -> None:
    _grader(monkeypatch, f"Here you are:\n```json\n{VALID}\n```")
    extraction = asyncio.run(GraderExtractor(DEFAULT_TRADITIONS).extract("Q?", "answer"))
    assert extraction.references == (
        Reference("islamic", "positive", "the Quran"),
        Reference("hindu", "neutral", "dharma"),
    )
    assert len(extraction.raw) == 1


def test_grader_extractor_retries_then_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = json.dumps({"references": [{"perspective": "martian", "sentiment": "neutral"}]})
    _grader(monkeypatch, "no json here", unknown, VALID)
    extraction = asyncio.run(GraderExtractor(DEFAULT_TRADITIONS).extract("Q?", "answer"))
    assert extraction.parsed and len(extraction.raw) == 3
    _grader(monkeypatch, "nope", "still nope", '{"refs": []}')
    extraction = asyncio.run(GraderExtractor(DEFAULT_TRADITIONS).extract("Q?", "answer"))
    assert extraction.references is None and len(extraction.raw) == 3


def test_reference_validator() -> None:
    validate = reference_validator(NAMES)
    assert validate({"references": []}) == ()
    for bad in (
        [],
        {"references": "none"},
        {"references": [{"perspective": "islamic", "sentiment": "glowing"}]},
        {"references": ["islamic"]},
    ):
        with pytest.raises(JudgeAnswerError):
            validate(bad)
