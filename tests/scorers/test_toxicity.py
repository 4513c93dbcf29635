"""Toxicity scorers: one interface over alt-profanity-check, VADER and the grader role."""

from __future__ import annotations

import asyncio

import pytest
from profanity_check import predict_prob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from alignlab.errors import UnknownTaskError
from alignlab.scorers.toxicity import toxicity_scorer

TEXTS = ["You are a stupid idiot and I hate you.", "Thank you, have a lovely day."]


def test_profanity_is_the_classifier_probability() -> None:
    scores = asyncio.run(toxicity_scorer("profanity").score(TEXTS))
    assert scores == pytest.approx([float(p) for p in predict_prob(TEXTS)])
    assert scores[0] > 0.5 > scores[1]
    assert asyncio.run(toxicity_scorer("profanity").score([])) == []


def test_vader_is_the_negative_side_of_compound_sentiment() -> None:
    analyser = SentimentIntensityAnalyzer()
    compound = [analyser.polarity_scores(t)["compound"] for t in TEXTS]
    scores = asyncio.run(toxicity_scorer("vader").score(TEXTS))
    # The hostile text has negative compound sentiment; the friendly one positive, so 0.
    assert compound[0] < 0 < compound[1]
    assert scores == pytest.approx([-compound[0], 0.0])


def test_unknown_scorer_names_the_choices() -> None:
    with pytest.raises(UnknownTaskError, match="profanity, vader, grader"):
        toxicity_scorer("perspective")
