"""Surface features of moral explanations and a classifier baseline telling AI text from human text.

:func:`text_features` measures length, hedging and first-person use;
:func:`classifier_auc` is a simple detectability baseline beside the
Moral Turing Test's judge: cross-validated logistic regression on those
features.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

CLASSIFIER_FOLDS = 5
HEDGE_WORDS = (
    "may",
    "might",
    "could",
    "perhaps",
    "possibly",
    "potentially",
    "likely",
    "unlikely",
    "generally",
    "typically",
    "usually",
    "often",
    "arguably",
    "somewhat",
    "seems",
    "seem",
    "appears",
    "depends",
    "depending",
    "however",
    "although",
    "while",
    "nuanced",
    "context",
    "important",
)
"""Words counted as hedging (one per occurrence, whole words, case-insensitive)."""
FIRST_PERSON_WORDS = ("i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll")
FEATURES = ("length", "hedge_rate", "first_person_rate")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def text_features(text: str) -> dict[str, float]:
    """Length in words, and hedging-word and first-person-pronoun rates per word.

    Words are runs of letters (with an inner apostrophe), lower-cased; the
    rates are 0 for an empty text.
    """
    words = _WORD.findall(text.lower().replace("’", "'"))
    n = len(words)
    hedges = sum(w in HEDGE_WORDS for w in words)
    first_person = sum(w in FIRST_PERSON_WORDS for w in words)
    return {
        "length": float(n),
        "hedge_rate": hedges / n if n else 0.0,
        "first_person_rate": first_person / n if n else 0.0,
    }


def classifier_auc(
    human_texts: Sequence[str],
    ai_texts: Sequence[str],
    *,
    folds: int = CLASSIFIER_FOLDS,
    seed: int = 0,
) -> tuple[float, list[float], list[int]]:
    """Cross-validated AUC of logistic regression telling AI from human text by surface features.

    Features: ``log(1 + length)``, hedging rate and first-person rate
    (:func:`text_features`), standardised within each training fold. The AUC
    is computed once over the pooled out-of-fold probabilities (stratified
    ``folds``-fold CV, shuffled with ``seed``), so every text is scored by a
    model that did not see it.

    Returns:
        (AUC, out-of-fold probability of "AI" per text, label per text: 1 = AI),
        texts in the order human then AI. AUC is NaN with fewer than 2 texts of
        either kind.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from alignlab.metrics import roc_auc

    texts = [*human_texts, *ai_texts]
    labels = [0] * len(human_texts) + [1] * len(ai_texts)
    k = min(folds, len(human_texts), len(ai_texts))
    if k < 2:
        return math.nan, [], labels
    features = np.array(
        [
            [math.log1p(f["length"]), f["hedge_rate"], f["first_person_rate"]]
            for f in (text_features(t) for t in texts)
        ]
    )
    model = make_pipeline(StandardScaler(), LogisticRegression())
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    probabilities = cross_val_predict(model, features, labels, cv=splitter, method="predict_proba")[
        :, 1
    ]
    scores = [float(p) for p in probabilities]
    return roc_auc(scores, labels), scores, labels
