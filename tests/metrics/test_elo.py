"""Tests for alignlab.metrics.elo: hand-worked Elo updates, ties, order, LitmusValues' bootstrap."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alignlab.metrics import (
    EloSummary,
    elo_bootstrap,
    elo_ranking,
    elo_ratings,
    elo_win_probability,
)
from alignlab.metrics.elo import ranking


def _expected(r_a: float, r_b: float) -> float:
    return 1 / (1 + 10 ** ((r_b - r_a) / 400))


# --- elo_ratings ---------------------------------------------------------------------------


def test_elo_three_battles_by_hand() -> None:
    # K = 4, scale 400, base 10, everyone starts at 1000.
    # 1) A beats B. Both at 1000: E_A = E_B = 0.5.
    #    A = 1000 + 4 (1 - 0.5) = 1002;  B = 1000 + 4 (0 - 0.5) = 998.
    # 2) A (1002) ties C (1000). E_A = 1 / (1 + 10^(-2/400)) = 1 / (1 + 0.988553) = 0.502878.
    #    A = 1002 + 4 (0.5 - 0.502878) = 1001.988487;  C = 1000 + 4 (0.5 - 0.497122) = 1000.011513.
    # 3) C beats B, written (B, C, 0.0). B = 998, C = 1000.011513:
    #    E_B = 1 / (1 + 10^(2.011513/400)) = 1 / (1 + 1.011647) = 0.497105.
    #    B = 998 + 4 (0 - 0.497105) = 996.011579;  C = 1000.011513 + 4 (1 - 0.502895) = 1001.999934.
    ratings = elo_ratings([("A", "B", 1.0), ("A", "C", 0.5), ("B", "C", 0.0)])
    assert ratings == pytest.approx({"A": 1001.988487, "B": 996.011579, "C": 1001.999934}, abs=1e-5)
    # The same arithmetic written out with the formula, to full precision.
    a, b, c = 1002.0, 998.0, 1000.0
    e_a = _expected(a, c)
    a, c = a + 4 * (0.5 - e_a), c + 4 * (0.5 - (1 - e_a))
    e_b = _expected(b, c)
    b, c = b + 4 * (0 - e_b), c + 4 * (1 - (1 - e_b))
    assert ratings == pytest.approx({"A": a, "B": b, "C": c}, rel=1e-12)
    # Elo only moves points around: the total stays 3 x 1000.
    assert sum(ratings.values()) == pytest.approx(3000.0)


def test_elo_tie_between_equals_changes_nothing_and_tie_pulls_together() -> None:
    assert elo_ratings([("A", "B", 0.5)]) == {"A": 1000.0, "B": 1000.0}
    # A at 1002 and B at 998 tie: A was expected 0.511511 so loses 4 x 0.011511 = 0.046.
    ratings = elo_ratings([("A", "B", 1.0), ("A", "B", 0.5)])
    e_a = _expected(1002, 998)
    assert ratings["A"] == pytest.approx(1002 + 4 * (0.5 - e_a))
    assert ratings["A"] < 1002 and ratings["B"] > 998


def test_elo_depends_on_order() -> None:
    # A beats B then B beats A: after the first battle B is the underdog (998 vs 1002), so
    # its win earns more than 2 points: E_B = 1/(1 + 10^(4/400)) = 0.494244,
    # B = 998 + 4 (1 - 0.494244) = 1000.023025. The last winner ends ahead.
    forward = elo_ratings([("A", "B", 1.0), ("B", "A", 1.0)])
    backward = elo_ratings([("B", "A", 1.0), ("A", "B", 1.0)])
    assert forward["B"] == pytest.approx(1000.023025, abs=1e-6)
    assert backward["A"] == pytest.approx(1000.023025, abs=1e-6)
    assert forward != backward


def test_elo_self_battle_is_a_no_op_and_options_apply() -> None:
    # LitmusValues records a value class against itself as a tie; its updates cancel.
    assert elo_ratings([("A", "A", 0.5)]) == {"A": 1000.0}
    ratings = elo_ratings([("x", "y", 1)], k=32, initial=1500)
    assert ratings == {"x": 1516.0, "y": 1484.0}


def test_elo_empty_and_bad_input() -> None:
    assert elo_ratings([]) == {}
    with pytest.raises(ValueError, match="score_a"):
        elo_ratings([("A", "B", 0.7)])
    with pytest.raises(ValueError, match="score_a"):
        elo_ratings([("A", "B", True)])
    with pytest.raises(ValueError, match=r"\(a, b, score_a\)"):
        elo_ratings([("A", "B")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="hashable"):
        elo_ratings([(["A"], "B", 1.0)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="k must"):
        elo_ratings([("A", "B", 1.0)], k=0)
    with pytest.raises(ValueError, match="base must"):
        elo_ratings([("A", "B", 1.0)], base=1.0)


# --- elo_win_probability and ranking -------------------------------------------------------


def test_win_probability_by_hand() -> None:
    # 400 points ahead: odds 10:1, so 10/11. Equal ratings: 1/2. 200 behind: 1/(1 + sqrt(10)).
    assert elo_win_probability(1400, 1000) == pytest.approx(10 / 11)
    assert elo_win_probability(1000, 1000) == 0.5
    assert elo_win_probability(1000, 1200) == pytest.approx(1 / (1 + math.sqrt(10)))
    assert elo_win_probability(1000, 1100, scale=100, base=2) == pytest.approx(1 / 3)
    assert elo_win_probability(0, 1e6) == 0.0  # no overflow
    with pytest.raises(ValueError, match="scale"):
        elo_win_probability(1, 2, scale=-1)


def test_ranking_highest_first_ties_by_name() -> None:
    # The package re-exports it as elo_ranking: `alignlab.metrics.ranking` is the BTL module.
    assert elo_ranking is ranking
    assert ranking({"care": 990.0, "truth": 1010.0, "privacy": 1010.0}) == [
        "privacy",
        "truth",
        "care",
    ]
    assert ranking({}) == []
    assert ranking({1: 5.0, "a": 5.0, 0: 6.0}) == [0, 1, "a"]  # mixed names: by type, then str


# --- elo_bootstrap ---------------------------------------------------------------------------


def _battles(seed: int = 0, n: int = 300) -> list[tuple[Any, Any, float]]:
    rng = np.random.default_rng(seed)
    strength = {"care": 2.0, "truth": 1.0, "privacy": 0.0, "power": -1.0}
    names = list(strength)
    battles: list[tuple[Any, Any, float]] = []
    for _ in range(n):
        a, b = rng.choice(names, size=2, replace=False)
        p_a = 1 / (1 + math.exp(strength[b] - strength[a]))
        battles.append((str(a), str(b), 1.0 if rng.random() < p_a else 0.0))
    return battles


def test_bootstrap_is_deterministic_with_seed_and_spreads() -> None:
    battles = _battles()
    first = elo_bootstrap(battles, rounds=50)
    second = elo_bootstrap(battles, rounds=50)
    assert isinstance(first, EloSummary) and first.rounds == 50
    assert first == second
    assert elo_bootstrap(battles, rounds=50, seed=7).mean != first.mean
    for name in first.mean:
        assert first.low[name] <= first.median[name] <= first.high[name]
        assert first.low[name] < first.high[name]  # orderings differ, so ratings spread
    assert ranking(first.mean) == ["care", "truth", "privacy", "power"]
    assert sum(first.mean.values()) == pytest.approx(4000.0)


# The authors' procedure, written out independently of alignlab.metrics.elo so that the
# expected values below do not come from the function under test: LitmusValues'
# calculate_elo_rating.py (after the Chatbot Arena notebook) keeps the battles in a
# DataFrame (model_a, model_b, winner), runs online Elo with a defaultdict of ratings,
# and "bootstraps" with np.random.seed(42) then battles.sample(frac=1, replace=False)
# per round; the rating is the mean over rounds, the plots' CI the 2.5% and 97.5% quantiles.
_WINNER = {1.0: "model_a", 0.0: "model_b", 0.5: "tie"}


def _authors_online_elo(frame: pd.DataFrame) -> dict[str, float]:
    k, scale, base, init = 4, 400, 10, 1000
    rating: defaultdict[str, float] = defaultdict(lambda: init)
    for model_a, model_b, winner in frame[["model_a", "model_b", "winner"]].itertuples(index=False):
        ra, rb = rating[model_a], rating[model_b]
        ea = 1 / (1 + base ** ((rb - ra) / scale))
        eb = 1 / (1 + base ** ((ra - rb) / scale))
        sa = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[winner]
        rating[model_a] += k * (sa - ea)
        rating[model_b] += k * (1 - sa - eb)
    return dict(rating)


def _authors_bootstrap(battles: list[tuple[Any, Any, float]], rounds: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(a, b, _WINNER[score]) for a, b, score in battles],
        columns=["model_a", "model_b", "winner"],
    )
    np.random.seed(42)
    rows = [_authors_online_elo(frame.sample(frac=1.0, replace=False)) for _ in range(rounds)]
    return pd.DataFrame(rows)


def _battles_with_ties(seed: int, n: int) -> list[tuple[Any, Any, float]]:
    """Random battles plus ties and self-battles (a value class against itself is a tie)."""
    battles = _battles(seed=seed, n=n)
    return [*battles, ("care", "truth", 0.5), ("power", "power", 0.5), ("privacy", "care", 0.5)]


def test_authors_procedure_agrees_with_the_hand_worked_case() -> None:
    # The reference above on test_elo_three_battles_by_hand's battles, in that order.
    frame = pd.DataFrame(
        [("A", "B", "model_a"), ("A", "C", "tie"), ("B", "C", "model_b")],
        columns=["model_a", "model_b", "winner"],
    )
    assert _authors_online_elo(frame) == pytest.approx(
        {"A": 1001.988487, "B": 996.011579, "C": 1001.999934}, abs=1e-5
    )


def test_bootstrap_reproduces_litmusvalues_procedure() -> None:
    battles = _battles_with_ties(seed=3, n=120)
    table = _authors_bootstrap(battles, rounds=20)
    summary = elo_bootstrap(battles, rounds=20)
    assert set(summary.mean) == set(table.columns)
    for name in table.columns:
        column = table[name]
        assert summary.mean[name] == pytest.approx(column.mean(), rel=1e-9)
        assert summary.median[name] == pytest.approx(column.median(), rel=1e-9)
        assert summary.low[name] == pytest.approx(column.quantile(0.025), rel=1e-9)
        assert summary.high[name] == pytest.approx(column.quantile(0.975), rel=1e-9)


def test_single_ordering_matches_the_authors_online_elo() -> None:
    battles = _battles_with_ties(seed=5, n=80)
    frame = pd.DataFrame(
        [(a, b, _WINNER[score]) for a, b, score in battles],
        columns=["model_a", "model_b", "winner"],
    )
    assert elo_ratings(battles) == pytest.approx(_authors_online_elo(frame), rel=1e-9)


def test_bootstrap_options_and_edge_cases() -> None:
    battles = _battles(n=60)
    wide = elo_bootstrap(battles, rounds=40, confidence=0.99)
    narrow = elo_bootstrap(battles, rounds=40, confidence=0.5)
    for name in wide.mean:
        assert wide.low[name] <= narrow.low[name] <= narrow.high[name] <= wide.high[name]
    scaled = elo_bootstrap(battles, rounds=5, k=16, initial=1500)
    assert sum(scaled.mean.values()) == pytest.approx(4 * 1500)
    empty = elo_bootstrap([], rounds=3)
    assert empty.mean == {} and empty.rounds == 3
    with pytest.raises(ValueError, match="rounds"):
        elo_bootstrap(battles, rounds=0)
    with pytest.raises(ValueError, match="confidence"):
        elo_bootstrap(battles, confidence=1.0)
