"""The paired AUC comparison of `alignlab align`, on hand-worked data."""

from __future__ import annotations

import pytest

from alignlab.train.align import ItemScores, compare_runs, paired_auc_difference


def test_paired_auc_difference_by_hand() -> None:
    labels = [0, 0, 1, 1]
    before = [0.4, 0.3, 0.2, 0.1]  # every positive below every negative: AUC 0
    after = [0.1, 0.2, 0.3, 0.4]  # perfect: AUC 1
    result = paired_auc_difference(before, after, labels, n_permutations=500)
    assert result.before == 0.0 and result.after == 1.0 and result.difference == 1.0
    assert result.low <= 1.0 <= result.high + 1e-12
    # 16 sign patterns of 4 items; only swapping none or all reaches |difference| 1.
    assert result.p_value == pytest.approx(2 / 16, abs=0.06)


def test_identical_scorings_differ_by_nothing() -> None:
    labels = [0, 1, 0, 1, 1, 0]
    scores = [0.1, 0.9, 0.3, 0.6, 0.2, 0.4]
    result = paired_auc_difference(scores, scores, labels, n_permutations=200)
    assert result.difference == 0.0 and result.p_value == 1.0


def test_compare_runs_pairs_items_by_id() -> None:
    before = ItemScores(
        ["a", "b", "c", "d"], [0, 1, 0, 1], [0.5, -0.5, 0.5, -0.5], [0, 0, 1, 1], [None] * 4
    )
    after = ItemScores(
        ["a", "b", "c", "d"], [1, 1, 1, 1], [-1.0, -2.0, 2.0, 1.0], [0, 0, 1, 1], [None] * 4
    )
    rows = compare_runs("t", "paper", before, after)
    acc, auc = rows
    assert acc.metric == "accuracy" and acc.before == 0.5 and acc.after == 1.0
    assert acc.difference == 0.5 and acc.baseline == 0.5
    assert auc.metric == "log-odds AUC" and auc.before == 0.5 and auc.after == 1.0
