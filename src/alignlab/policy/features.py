"""Features a policy sees, computed once per message (and cached): toxicity, PII, topic similarity.

* ``toxicity``: probability of offensive language from ``alt-profanity-check``
  (a linear SVM on character/word n-grams that ships inside the package, so
  it works offline); in [0, 1].
* ``pii``: Microsoft Presidio's pattern recognisers, run directly (no spaCy
  pipeline, no model download): ``EMAIL_ADDRESS``, ``PHONE_NUMBER``,
  ``CREDIT_CARD``, ``IBAN_CODE``, ``IP_ADDRESS``, ``US_SSN``, ``URL``,
  ``CRYPTO``. Each hit is ``{"type", "score", "start", "end"}``;
  ``pii_types`` lists the distinct types. Entity types that Presidio finds
  with a spaCy NER model (``PERSON``, ``LOCATION``, ``NRP``,
  ``ORGANIZATION``, ``DATE_TIME``) are not computed: they need
  ``python -m spacy download en_core_web_lg`` and Presidio's AnalyzerEngine,
  which alignlab does not load.
* ``topics``: cosine similarity (all-MiniLM-L6-v2, bundled) of the message to
  each named topic in the bundle's ``data.json`` ``topics`` (name -> example
  sentences; a topic's score is its best-matching example).
  A screen runs first: a static embedding of the message (per-token vectors
  from the same MiniLM, mean-pooled: a look-up, no forward pass, see
  :func:`alignlab.scorers.embedding.static_embed`). When no topic's static
  similarity reaches ``data.json`` ``topic_screen`` (default
  :data:`TOPIC_SCREEN`), the transformer is not run and ``topics`` is ``{}``
  (a rule ``topics[t] >= x`` does not fire); otherwise ``topics`` holds the
  full MiniLM scores of every topic. ``topics_static`` always holds the
  static scores and ``topics_screened`` says whether the screen skipped the
  transformer. ``"topic_screen": null`` runs MiniLM on every message. The
  default was calibrated on 229 texts (``bench/bench_topics.py``): every text
  whose full MiniLM score for a topic was >= 0.45 (the bundles deny at 0.55)
  had a static score >= 0.68.
* ``length`` (characters) and ``lower`` (the text lower-cased, for keyword rules).
* ``grader``: yes/no verdicts of a grader model on the bundle's questions;
  asynchronous (a model call), so :class:`~alignlab.policy.guard.Guard`
  computes them with :mod:`alignlab.policy.grader`, not this extractor.

A bundle names the features it needs in ``data.json`` ``features`` (default:
toxicity and pii, plus topics when it defines any), so a bundle without
topics never loads the embedding model.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

FEATURES = ("toxicity", "pii", "topics", "grader")
CACHE_SIZE = 4096
TOPIC_SCREEN = 0.65

_lock = threading.Lock()
_recognisers: list[Any] | None = None


class _LinearToxicity:
    """alt-profanity-check's model without sklearn's per-call overhead: the same numbers.

    The package's model is a CalibratedClassifierCV (sigmoid method) over five
    LinearSVCs; its ``predict_proba`` averages ``expit(-(a_k * f_k + b_k))`` over
    the five, with ``f_k`` each SVM's decision value. sklearn spends ~35 ms per
    call on validation around that; the product itself takes microseconds.

    Many texts at once go through ``vectorizer.transform`` and one sparse
    product. For a few (the proxy's case: one message) even ``transform`` is
    mostly overhead (it rebuilds its analyzer and a sparse matrix per call),
    so :meth:`one` does the same TF-IDF arithmetic directly: the package's own
    analyzer (built once) gives the terms, their counts times ``idf_`` are
    L2-normalised and multiplied by the SVMs' weights.
    ``tests/policy/test_policy_features.py`` checks both paths against
    ``predict_prob``.
    """

    def __init__(self) -> None:
        import profanity_check.profanity_check as package

        self.vectorizer = package.vectorizer
        model = package.model
        parts = model.calibrated_classifiers_
        if (
            model.method != "sigmoid"
            or list(model.classes_) != [0, 1]
            or any(len(p.calibrators) != 1 or not hasattr(p.estimator, "coef_") for p in parts)
        ):
            raise ValueError("unexpected alt-profanity-check model layout")
        vectorizer = self.vectorizer
        if (
            vectorizer.norm != "l2"
            or not vectorizer.use_idf
            or vectorizer.sublinear_tf
            or vectorizer.binary
        ):
            raise ValueError("unexpected alt-profanity-check vectorizer settings")
        self.weights = np.vstack([p.estimator.coef_[0] for p in parts]).T
        self.bias = np.array([float(p.estimator.intercept_[0]) for p in parts])
        self.a = np.array([float(p.calibrators[0].a_) for p in parts])
        self.b = np.array([float(p.calibrators[0].b_) for p in parts])
        self._analyze = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf_list: list[float] = np.asarray(vectorizer.idf_, dtype=np.float64).tolist()
        self._rows: list[tuple[float, ...]] = [tuple(row) for row in self.weights.tolist()]
        self._bias: list[float] = self.bias.tolist()
        self._a: list[float] = self.a.tolist()
        self._b: list[float] = self.b.tolist()

    def __call__(self, texts: Sequence[str]) -> list[float]:
        if len(texts) <= 4:
            return [self.one(text) for text in texts]
        decision = np.asarray(self.vectorizer.transform(list(texts)) @ self.weights) + self.bias
        probability = 1.0 / (1.0 + np.exp(self.a * decision + self.b))
        return [float(p) for p in probability.mean(axis=1)]

    def one(self, text: str) -> float:
        """P(offensive) of one text, without the vectorizer's per-call overhead.

        Plain Python floats: a message has a handful of terms and the model five
        columns, where numpy's per-call cost (~70 us) is larger than the sums (~25 us).
        """
        counts: dict[int, int] = {}
        vocabulary = self._vocabulary
        for term in self._analyze(text):
            index = vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        decision = self._bias
        if counts:
            idf, rows = self._idf_list, self._rows
            values = [(index, count * idf[index]) for index, count in counts.items()]
            norm = math.sqrt(sum(value * value for _, value in values))
            if norm > 0.0:
                sums = [0.0] * len(decision)
                for index, value in values:
                    scaled = value / norm
                    for k, weight in enumerate(rows[index]):
                        sums[k] += scaled * weight
                decision = [total + bias for total, bias in zip(sums, decision, strict=True)]
        return sum(
            1.0 / (1.0 + math.exp(a * f + b))
            for a, f, b in zip(self._a, decision, self._b, strict=True)
        ) / len(decision)


_toxicity_model: _LinearToxicity | None = None


def toxicity(texts: Sequence[str]) -> list[float]:
    """P(offensive) of each text from alt-profanity-check (see :class:`_LinearToxicity`)."""
    global _toxicity_model
    if _toxicity_model is None:
        with _lock:
            if _toxicity_model is None:
                _toxicity_model = _LinearToxicity()
    return _toxicity_model(texts)


def _pattern_recognisers() -> list[Any]:
    """Presidio's pattern recognisers, built once; tldextract kept offline (bundled suffix list)."""
    global _recognisers
    with _lock:
        if _recognisers is None:
            import tldextract
            import tldextract.tldextract as tld_module

            # The email recogniser validates domains with tldextract, whose default
            # extractor fetches the public suffix list over the network first.
            tld_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
            from presidio_analyzer.predefined_recognizers import (
                CreditCardRecognizer,
                CryptoRecognizer,
                EmailRecognizer,
                IbanRecognizer,
                IpRecognizer,
                PhoneRecognizer,
                UrlRecognizer,
                UsSsnRecognizer,
            )

            _recognisers = [
                EmailRecognizer(),
                PhoneRecognizer(),
                CreditCardRecognizer(),
                IbanRecognizer(),
                IpRecognizer(),
                UsSsnRecognizer(),
                UrlRecognizer(),
                CryptoRecognizer(),
            ]
        return _recognisers


_DIGIT = re.compile(r"\d")
# What each recogniser's patterns cannot match without (read off Presidio's regexes):
# a text that fails the test cannot give that recogniser a hit, so it is not run.
_NEEDS: dict[str, Any] = {
    "EmailRecognizer": lambda t: "@" in t,
    "UrlRecognizer": re.compile(r"\.[A-Za-z]").search,  # every pattern has [.]TLD
    "CryptoRecognizer": re.compile(r"[a-zA-Z0-9]{26}").search,  # (bc1|[13])[...]{25,59}
    "IpRecognizer": lambda t: ":" in t or ("." in t and _DIGIT.search(t)),
    "CreditCardRecognizer": _DIGIT.search,
    "PhoneRecognizer": _DIGIT.search,
    "IbanRecognizer": _DIGIT.search,
    "UsSsnRecognizer": _DIGIT.search,
}


def pii(text: str, prefilter: bool = True) -> list[dict[str, Any]]:
    """Presidio pattern-recogniser hits in ``text``, by position.

    ``prefilter``: skip a recogniser whose patterns need a character the text
    lacks (an ``@`` for e-mail, a digit for cards and phone numbers, ...);
    the hits are the same (tested), the regexes are not run for nothing.
    """
    hits: list[dict[str, Any]] = []
    for recogniser in _pattern_recognisers():
        if prefilter and not _NEEDS[type(recogniser).__name__](text):
            continue
        for result in recogniser.analyze(text, recogniser.supported_entities, None):
            hits.append(
                {
                    "type": result.entity_type,
                    "score": round(float(result.score), 4),
                    "start": int(result.start),
                    "end": int(result.end),
                }
            )
    # A URL inside an email address is the same span, not a second finding.
    emails = [(h["start"], h["end"]) for h in hits if h["type"] == "EMAIL_ADDRESS"]
    hits = [
        h
        for h in hits
        if h["type"] != "URL" or not any(s <= h["start"] and h["end"] <= e for s, e in emails)
    ]
    return sorted(hits, key=lambda h: (h["start"], h["type"]))


class TopicIndex:
    """Embeddings of each named topic's example sentences, computed once per bundle."""

    def __init__(
        self, topics: Mapping[str, Sequence[str]], screen: float | None = TOPIC_SCREEN
    ) -> None:
        from alignlab.scorers.embedding import embed, static_embed

        self.screen = screen
        self.names = sorted(topics)
        self._owner: list[int] = []
        sentences: list[str] = []
        for i, name in enumerate(self.names):
            for sentence in topics[name]:
                sentences.append(str(sentence))
                self._owner.append(i)
        self._vectors = embed(sentences) if sentences else np.zeros((0, 384))
        self._static = static_embed(sentences) if sentences else np.zeros((0, 384))

    def similarities(self, text: str) -> dict[str, float]:
        """Topic name -> best cosine similarity of ``text`` to the topic's examples."""
        from alignlab.scorers.embedding import embed

        if not self.names:
            return {}
        return self._best(self._vectors @ embed([text])[0])

    def static_similarities(self, text: str) -> dict[str, float]:
        """The same with the static embedding (the screen's scores)."""
        from alignlab.scorers.embedding import static_embed

        if not self.names:
            return {}
        return self._best(self._static @ static_embed([text])[0])

    def screened(self, text: str) -> tuple[dict[str, float], dict[str, float], bool]:
        """(full scores or ``{}``, static scores, whether the screen skipped the full model)."""
        static = self.static_similarities(text)
        if self.screen is not None and all(v < self.screen for v in static.values()):
            return {}, static, True
        return self.similarities(text), static, False

    def _best(self, scores: np.ndarray) -> dict[str, float]:
        best = dict.fromkeys(self.names, -1.0)
        for owner, score in zip(self._owner, scores, strict=True):
            name = self.names[owner]
            best[name] = max(best[name], float(score))
        return {name: round(value, 4) for name, value in best.items()}


class FeatureExtractor:
    """Computes a message's features once; later calls for the same text hit an LRU cache."""

    def __init__(
        self,
        enabled: Sequence[str] = ("toxicity", "pii"),
        topics: Mapping[str, Sequence[str]] | None = None,
        cache_size: int = CACHE_SIZE,
        topic_screen: float | None = TOPIC_SCREEN,
    ) -> None:
        unknown = sorted(set(enabled) - set(FEATURES))
        if unknown:
            from alignlab.policy.bundle import PolicyError

            raise PolicyError(
                f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}"
            )
        self.enabled = tuple(enabled)
        self._topics_spec = dict(topics or {})
        self._topic_index: TopicIndex | None = None
        self.topic_screen = topic_screen
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self.computed = 0

    @classmethod
    def for_bundle(cls, data: Mapping[str, Any]) -> FeatureExtractor:
        """The extractor a bundle's ``data.json`` asks for."""
        topics = data.get("topics") or {}
        default = ["toxicity", "pii"] + (["topics"] if topics else [])
        screen = data.get("topic_screen", TOPIC_SCREEN)
        if screen is not None and (isinstance(screen, bool) or not isinstance(screen, int | float)):
            from alignlab.policy.bundle import PolicyError

            raise PolicyError(f"data.json: 'topic_screen' must be a number or null, not {screen!r}")
        return cls(enabled=data.get("features", default), topics=topics, topic_screen=screen)

    def warm(self) -> None:
        """Load every model now (server start-up), not on the first request."""
        self.features("warm-up")
        with self._cache_lock:
            self._cache.clear()

    def features(self, text: str) -> dict[str, Any]:
        """The features of ``text`` (a fresh dict; the cached one is never handed out)."""
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return dict(cached)
        computed = self._compute(text)
        with self._cache_lock:
            self._cache[key] = computed
            self.computed += 1
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return dict(computed)

    def _compute(self, text: str) -> dict[str, Any]:
        out: dict[str, Any] = {"length": len(text), "lower": text.lower()}
        if "toxicity" in self.enabled:
            out["toxicity"] = round(toxicity([text])[0], 4) if text.strip() else 0.0
        if "pii" in self.enabled:
            hits = pii(text)
            out["pii"] = hits
            out["pii_types"] = sorted({h["type"] for h in hits})
        if "topics" in self.enabled:
            if self._topic_index is None:
                self._topic_index = TopicIndex(self._topics_spec, self.topic_screen)
            if text.strip():
                full, static, skipped = self._topic_index.screened(text)
            else:
                full, static, skipped = {}, {}, True
            out["topics"], out["topics_static"], out["topics_screened"] = full, static, skipped
        return out
