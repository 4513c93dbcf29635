"""Annotator discretion on a hand-worked example."""

from __future__ import annotations

import math

import pytest

from alignlab.metrics.discretion import discretion


def test_departures_and_supremacy_hand_worked() -> None:
    verdicts = [
        {"harmless": 0, "honest": 0},  # consensus 0, chose 0
        {"helpful": 1},  # consensus 1, chose 0: departure
        {"harmless": 0, "helpful": 1},  # conflict: harmless wins
        {"harmless": 0, "helpful": 1, "honest": 0},  # conflict: helpful wins
        {},  # no principle applies
        {"honest": 1},  # unread
    ]
    d = discretion(verdicts, [0, 0, 0, 1, 1, None])
    assert (d.consensus, d.departures, d.conflicts, d.unread) == (2, 1, 2, 1)
    assert d.departure_rate == pytest.approx(0.5)
    assert d.supremacy("harmless", "helpful") == pytest.approx(1 / 2)
    assert d.supremacy("helpful", "harmless") == pytest.approx(1 / 2)
    assert d.supremacy("helpful", "honest") == pytest.approx(1.0)
    assert math.isnan(d.supremacy("honest", "harmless"))


def test_discretion_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        discretion([{"p": 2}], [0])
