"""Message features: toxicity (alt-profanity-check), PII (Presidio patterns), cache, timeout."""

from __future__ import annotations

import time

import pytest

from alignlab.policy.bundle import PolicyBundle
from alignlab.policy.features import FeatureExtractor
from alignlab.policy.guard import FeatureTimeout, Guard


@pytest.fixture(scope="module")
def extractor() -> FeatureExtractor:
    return FeatureExtractor(enabled=("toxicity", "pii"))


def test_toxicity_separates_abuse_from_a_plain_question(extractor: FeatureExtractor) -> None:
    assert extractor.features("you stupid fucking idiot")["toxicity"] > 0.9
    assert extractor.features("What is the capital of France?")["toxicity"] < 0.2


def test_fast_toxicity_equals_the_package_predict_prob() -> None:
    from profanity_check import predict_prob

    from alignlab.policy.features import toxicity

    texts = ["you stupid fucking idiot", "What is the capital of France?", "", "damn it", "ok"]
    assert toxicity(texts) == pytest.approx(list(predict_prob(texts)), abs=1e-9)


def test_pii_pattern_recognisers_find_spans_offline(extractor: FeatureExtractor) -> None:
    text = "Mail jo@example.com, call 212-555-0199, card 4111 1111 1111 1111."
    found = extractor.features(text)
    assert found["pii_types"] == ["CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER"]
    spans = {h["type"]: text[h["start"] : h["end"]] for h in found["pii"]}
    assert spans["EMAIL_ADDRESS"] == "jo@example.com"
    assert spans["CREDIT_CARD"] == "4111 1111 1111 1111"
    # A URL inside the email address is not a second finding.
    assert "URL" not in found["pii_types"]
    assert extractor.features("No personal data here.")["pii"] == []


def test_features_are_computed_once_per_message(extractor: FeatureExtractor) -> None:
    before = extractor.computed
    first = extractor.features("a message seen twice")
    first["toxicity"] = 99.0  # callers get a copy, never the cached dict
    again = extractor.features("a message seen twice")
    assert extractor.computed == before + 1
    assert again["toxicity"] != 99.0


def test_a_slow_feature_scorer_fails_closed(tmp_path, extractor: FeatureExtractor) -> None:
    root = tmp_path / "b"
    root.mkdir()
    (root / "p.rego").write_text('package alignlab.request\n\ndecision := {"action": "allow"}\n')

    class Slow(FeatureExtractor):
        def _compute(self, text: str) -> dict:
            time.sleep(0.5)
            return super()._compute(text)

    guard = Guard(PolicyBundle.load(root), Slow(enabled=()), feature_timeout_s=0.05)
    with pytest.raises(FeatureTimeout, match="longer than 0.05 s"):
        guard.check_request([{"role": "user", "content": "hello"}])
