"""Offline sentence embeddings with the bundled all-MiniLM-L6-v2, and sentence splitting."""

from __future__ import annotations

import numpy as np
import pytest

from alignlab.scorers.embedding import (
    EMBEDDING_DIM,
    embed,
    embedding_model_path,
    similarity_matrix,
    split_sentences,
)


def test_model_ships_inside_an_installed_package() -> None:
    path = embedding_model_path()
    assert (path / "model.safetensors").is_file()
    assert (path / "tokenizer.json").is_file()


def test_embeddings_are_unit_vectors() -> None:
    vectors = embed(["A cat sits on the mat.", "Interest rates rose."])
    assert vectors.shape == (2, EMBEDDING_DIM)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert embed([]).shape == (0, EMBEDDING_DIM)


def test_paraphrases_score_higher_than_unrelated_text() -> None:
    perspective = "Raising the minimum wage protects low-paid workers from poverty."
    matrix = similarity_matrix(
        [perspective],
        [
            "A higher minimum wage helps the poorest workers escape poverty.",
            "The museum opens at nine on Sundays.",
        ],
    )
    paraphrase, unrelated = matrix[0]
    assert paraphrase > 0.6 > 0.2 > unrelated
    # The same text is its own nearest neighbour.
    assert similarity_matrix([perspective], [perspective])[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_similarity_matrix_shape_and_empty_sides() -> None:
    assert similarity_matrix(["a b", "c d", "e f"], ["g h", "i j"]).shape == (3, 2)
    assert similarity_matrix(["a b"], []).shape == (1, 0)
    assert similarity_matrix([], ["a b"]).shape == (0, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ('He said "no." Then left.', ['He said "no."', "Then left."]),
        ("Intro:\n- first point\n2) second point", ["Intro:", "first point", "second point"]),
        ("Values 3.5 and 4.2 differ.", ["Values 3.5 and 4.2 differ."]),
        ("", []),
        ("  .  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.slow  # the first run computes the static table (~20 s on one core), then cached
def test_static_embedding_is_the_centred_mean_of_its_pieces_vectors(tmp_path, monkeypatch) -> None:
    from alignlab.scorers import embedding

    tokenizer, model = embedding._model()
    texts = [
        "Question 10000123: what is a good name for a cat called 10000123?",
        "naïve café — 日本語",
        "",
        "word " * 400,  # longer than the 254 pieces a text keeps
    ]
    # The own copy of the fast tokenizer gives the ids transformers' wrapper gives.
    wrapped = tokenizer(
        texts, add_special_tokens=False, truncation=True, max_length=embedding.MAX_SEQ_LENGTH - 2
    )["input_ids"]
    assert embedding.static_ids(texts) == wrapped
    assert len(wrapped[3]) == 254 and wrapped[2] == []
    table, centre = embedding.static_table()
    assert table.shape == (tokenizer.vocab_size, EMBEDDING_DIM)
    assert embedding.static_table_path().is_file()  # cached for the next process
    # A piece's row is MiniLM's mean-pooled output for [CLS] piece [SEP], as defined.
    ids = wrapped[0]
    pieces = embedding._piece_vectors(tokenizer, model, ids)
    np.testing.assert_allclose(np.asarray(table[ids]), pieces, atol=1e-4)
    expected = pieces.mean(axis=0) - centre
    expected /= np.linalg.norm(expected)
    vectors = embedding.static_embed(texts)
    np.testing.assert_allclose(vectors[0], expected, atol=1e-4)
    assert not vectors[2].any()  # an empty text has no pieces: the zero vector
    # A cached file of the wrong shape is not trusted: the table is computed again.
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((3, EMBEDDING_DIM), dtype=np.float32))
    monkeypatch.setattr(embedding, "static_table_path", lambda: bad)
    monkeypatch.setattr(embedding, "_static", None)  # restored after the test
    monkeypatch.setattr(
        embedding, "_piece_vectors", lambda _t, _m, ids: np.ones((len(ids), EMBEDDING_DIM))
    )
    again, _ = embedding.static_table()
    assert again.shape == table.shape and again.all()  # computed again, not read
    assert np.load(bad).shape == table.shape  # and the bad file replaced
