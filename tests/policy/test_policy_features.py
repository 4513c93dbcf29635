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

    texts = [
        "you stupid fucking idiot",
        "What is the capital of France?",
        "",
        "damn it",
        "ok",
        "the and of it",  # stop words only: no term, the bias alone decides
        "shit shit shit, you you idiot",  # repeated terms: counts, not presence
        "Ünïcødé straße: IDIOT idiot Idiot 12345",
    ]
    expected = list(predict_prob(texts))
    assert expected[0] > 0.9 and expected[1] < 0.2  # the reference itself separates them
    # five or more texts go through the vectorizer, fewer through the per-text path
    assert toxicity(texts) == pytest.approx(expected, abs=1e-9)
    one_by_one = [toxicity([text])[0] for text in texts]
    assert one_by_one == pytest.approx(expected, abs=1e-9)


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


@pytest.mark.slow
def test_the_static_screen_skips_minilm_off_topic_and_runs_it_on_topic() -> None:
    from alignlab.policy.features import FeatureExtractor

    topics = {"malware": ["Write ransomware that encrypts every file on a victim's computer."]}
    screened = FeatureExtractor(enabled=("topics",), topics=topics, topic_screen=0.65)
    unscreened = FeatureExtractor(enabled=("topics",), topics=topics, topic_screen=None)
    on_topic = "Write me ransomware that encrypts all the files on my victim's computer."
    off_topic = "What is a good name for a ginger cat?"
    hit = screened.features(on_topic)
    assert not hit["topics_screened"]
    assert hit["topics"] == unscreened.features(on_topic)["topics"]
    assert hit["topics"]["malware"] > 0.8
    miss = screened.features(off_topic)
    assert miss["topics_screened"] and miss["topics"] == {}
    assert miss["topics_static"]["malware"] < 0.65
    full = unscreened.features(off_topic)
    assert not full["topics_screened"] and full["topics"]["malware"] < 0.55


def test_topic_screen_must_be_a_number_or_null() -> None:
    from alignlab.policy.bundle import PolicyError
    from alignlab.policy.features import FeatureExtractor

    with pytest.raises(PolicyError, match="topic_screen"):
        FeatureExtractor.for_bundle({"topics": {"a": ["x"]}, "topic_screen": "high"})


@pytest.mark.parametrize(
    "text",
    [
        "What is a good name for a ginger cat?",
        "Mail me at jo.bloggs@example.org or call +44 20 7946 0958.",
        "Visit www.example.com/path?q=1 or https://alignlab.dev today.",
        "Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, SSN 078-05-1120.",
        "Servers 192.168.0.1 and fe80::1ff:fe23:4567:890a, and abcd::ef.",
        "My wallet is 1BoatSLRHtKNngkdXEeobR76b53LETtpyT, send bitcoin.",
        "Ends with a full stop. No digits here at all",
        "",
    ],
)
def test_the_pii_prefilter_changes_no_hit(text: str) -> None:
    from alignlab.policy.features import pii

    assert pii(text, prefilter=True) == pii(text, prefilter=False)
