"""Tests for alignlab.train.pairs: preference pairs moving a model's utilities to a target."""

from __future__ import annotations

import numpy as np
import pytest

from alignlab.benchmarks.utility.tasks import utility_prompt
from alignlab.metrics import thurstonian_fit
from alignlab.train.pairs import utility_preference_pairs


def test_preference_pairs_move_towards_the_target() -> None:
    # The model prefers x0 > x1 > x2; the target reverses x0 and x2.
    fit = thurstonian_fit(3, [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.95)])
    outcomes = [{"id": f"x{k}", "text": f"Outcome {k}."} for k in range(3)]
    records = utility_preference_pairs(fit, outcomes, {"x0": 0.0, "x1": 1.0, "x2": 3.0})
    assert len(records) == 6
    first, second = records[0], records[1]
    # The pair the model gets most wrong (x2 over x0) comes first, in both orders.
    assert first == {
        "prompt": utility_prompt("Outcome 2.", "Outcome 0."),
        "chosen": "A",
        "rejected": "B",
        "margin": 3.0,
    }
    assert second["prompt"] == utility_prompt("Outcome 0.", "Outcome 2.")
    assert (second["chosen"], second["rejected"]) == ("B", "A")
    assert len(utility_preference_pairs(fit, outcomes, {"x0": 0.0, "x2": 3.0})) == 2
    assert utility_preference_pairs(fit, outcomes, max_pairs=1, min_margin=0.1)[0]["margin"] > 0
    assert len(utility_preference_pairs(fit, outcomes, {"x0": 1.0, "x1": 1.0})) == 0
    with pytest.raises(ValueError, match="3 options"):
        utility_preference_pairs(fit, outcomes[:2])


def test_preference_pairs_without_target_sharpen_the_fit() -> None:
    fit = thurstonian_fit(3, [(0, 1, 0.6), (1, 2, 0.6), (0, 2, 0.7)])
    outcomes = [{"id": f"x{k}", "text": f"Outcome {k}."} for k in range(3)]
    records = utility_preference_pairs(fit, outcomes)
    margins = [r["margin"] for r in records]
    assert len(records) == 6 and all(m > 0 for m in margins)
    order = np.argsort(-np.asarray(fit.means))
    best = f"Outcome {order[0]}."
    assert any(
        r["prompt"].split("Option A:\n")[1].startswith(best) and r["chosen"] == "A" for r in records
    )
