"""Judge agreement metrics: hand-worked values, sklearn's kappa and the krippendorff package."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from alignlab.metrics.agreement import (
    cohen_kappa,
    cohen_kappa_ci,
    krippendorff_alpha,
    position_bias,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", sec. C: four
# observers, twelve units, nan where an observer gave no value.
NAN = math.nan
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def test_kappa_hand_worked() -> None:
    # p_o = 3/4; p_e = .5 * .25 + .5 * .75 = .5; kappa = (.75 - .5) / (1 - .5) = .5
    assert cohen_kappa(["y", "y", "n", "n"], ["y", "n", "n", "n"]) == pytest.approx(0.5)


def test_kappa_perfect_and_undefined() -> None:
    assert cohen_kappa([0, 1, 2], [0, 1, 2]) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa([1, 1], [1, 1]))


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_matches_sklearn(weights: str | None) -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, size=60)
    b = np.where(rng.random(60) < 0.6, a, rng.integers(0, 4, size=60))
    ours = cohen_kappa(a.tolist(), b.tolist(), weights=weights)  # type: ignore[arg-type]
    assert ours == pytest.approx(cohen_kappa_score(a, b, weights=weights))


def test_kappa_ci_brackets_estimate() -> None:
    a = [0, 1] * 20
    b = [0, 1] * 15 + [1, 0] * 5
    low, high = cohen_kappa_ci(a, b, n_resamples=400)
    assert low < cohen_kappa(a, b) < high


def test_kappa_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="different numbers"):
        cohen_kappa([1, 2], [1])


def test_alpha_nominal_hand_worked() -> None:
    # Units (1,1), (1,2), (2,2): o = [[2,1],[1,2]], n_1 = n_2 = 3, n = 6;
    # alpha = 1 - (n-1) * 2 / (2 * 3 * 3) = 1 - 10/18 = 4/9.
    assert krippendorff_alpha([[1, 1, 2], [1, 2, 2]]) == pytest.approx(4 / 9)


def test_alpha_interval_hand_worked() -> None:
    # Same units, interval: delta^2(1,2) = 1, so the same 4/9 (two values only).
    # With values 1 and 3 instead, delta^2 = 4 on both sides: still 4/9.
    assert krippendorff_alpha([[1, 1, 3], [1, 3, 3]], "interval") == pytest.approx(4 / 9)


def test_alpha_published_example() -> None:
    # Krippendorff (2011) gives 0.743 nominal, 0.815 ordinal, 0.849 interval, 0.797 ratio.
    expected = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    for level, value in expected.items():
        assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(value, abs=5e-4)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_package(level: str) -> None:
    rng = np.random.default_rng(11)
    truth = rng.integers(1, 6, size=40).astype(float)
    noisy = [np.where(rng.random(40) < 0.7, truth, rng.integers(1, 6, 40)) for _ in range(3)]
    data = np.vstack(noisy)
    data[rng.random(data.shape) < 0.15] = np.nan
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(reference)  # type: ignore[arg-type]
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(  # type: ignore[arg-type]
        krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement=level)
    )


def test_alpha_two_raters_nominal_close_to_kappa() -> None:
    # With two raters and no missing data alpha and kappa differ only by the
    # small-sample correction of alpha's expected disagreement.
    a = [0, 0, 1, 1, 1, 0, 1, 0, 1, 1]
    b = [0, 1, 1, 1, 0, 0, 1, 0, 1, 1]
    assert krippendorff_alpha([a, b]) == pytest.approx(cohen_kappa(a, b), abs=0.05)


def test_alpha_undefined_without_variation() -> None:
    assert math.isnan(krippendorff_alpha([[2, 2], [2, 2]]))
    assert math.isnan(krippendorff_alpha([[1, NAN], [NAN, 2]]))


def test_position_bias_hand_worked() -> None:
    # Pair 1: picks first then second = same answer (consistent).
    # Pair 2: first both times (primacy). Pair 3: second both times (recency).
    # Pair 4: unreadable in the swapped order.
    bias = position_bias([0, 0, 1, 1], [1, 0, 1, None])
    assert bias.pairs == 3 and bias.unread == 1
    assert bias.consistency == pytest.approx(1 / 3)
    # verdicts picking the first slot: pair 1 one of two, pair 2 two, pair 3 none -> 3/6
    assert bias.first_position_rate == pytest.approx(0.5)
    assert (bias.inconsistent_first, bias.inconsistent_second) == (1, 1)


def test_position_bias_rejects_other_positions() -> None:
    with pytest.raises(ValueError, match="positions"):
        position_bias([2], [0])
