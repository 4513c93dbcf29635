"""Contextual calibration that could not be applied is a counted warning, never a silent gap."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from alignlab.report.forced_choice import SCORER, calibration_warnings
from alignlab.report.logs import RunLog


def _run(calibrated: list[float], calibration: str = "none") -> RunLog:
    samples = [
        SimpleNamespace(
            scores={
                SCORER: SimpleNamespace(
                    value={"correct": 1.0, "correct_raw": 1.0, "correct_calibrated": c},
                    metadata={"label": 1, "method": "logprob"},
                )
            }
        )
        for c in calibrated
    ]
    header: Any = SimpleNamespace(
        eval=SimpleNamespace(
            task="ethics_justice",
            task_args={"calibration": calibration},
            metadata={"family": "ethics", "subset": "justice"},
            model="m",
            model_roles=None,
        ),
        status="success",
        results=None,
    )
    return RunLog(Path("x.eval"), header, _samples=samples)


def test_some_items_without_calibration_are_counted() -> None:
    [warning] = calibration_warnings([_run([1.0, math.nan, 0.0, math.nan])])
    assert "impossible for 2 of 4 items" in warning and "justice" in warning
    assert "raw answers" not in warning  # raw was asked for: nothing fell back


def test_a_contextual_run_says_its_items_fell_back_to_raw() -> None:
    [warning] = calibration_warnings([_run([math.nan] * 3, calibration="contextual")])
    assert "3 of 3 items" in warning and "scored on their raw answers" in warning


def test_no_warning_when_every_item_is_calibrated_or_none_was_asked() -> None:
    assert calibration_warnings([_run([1.0, 0.0])]) == []
    assert calibration_warnings([_run([math.nan, math.nan])]) == []  # e.g. generate scoring
