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
