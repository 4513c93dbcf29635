"""Annotator discretion: how often a preference departs from what stated principles imply,
and which principle wins when they conflict.

After "AI Alignment at Your Discretion" (Buyl et al. 2025), who measure how
much latitude annotators (human or model) take when principles underdetermine
or contradict each other. Definitions here are this project's reading
([recall]; see the discretion family's README):

* each principle ``p`` gives a pair a verdict ``v_p`` in {0, 1} (which response
  it prefers) or no verdict;
* **consensus** pairs: at least one verdict, all verdicts equal; the
  **departure rate** is the share of them where the annotator chose the other
  response;
* **conflict** pairs: verdicts for both responses; for principles ``p`` and
  ``q`` with ``v_p != v_q``, ``p`` **wins** when the annotator chose ``v_p``.
  ``supremacy[p][q] = wins of p over q / conflicts between p and q``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Discretion", "discretion"]


@dataclass(frozen=True)
class Discretion:
    """Departures on consensus pairs and principle supremacy on conflict pairs.

    Attributes:
        consensus: consensus pairs with a readable choice.
        departures: those where the annotator chose against the consensus.
        conflicts: conflict pairs with a readable choice.
        wins: ``(p, q) -> (times p won over q, conflicts between p and q)``.
        unread: pairs without a readable choice.
    """

    consensus: int
    departures: int
    conflicts: int
    wins: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    unread: int = 0

    @property
    def departure_rate(self) -> float:
        return self.departures / self.consensus if self.consensus else math.nan

    def supremacy(self, p: str, q: str) -> float:
        """Share of the conflicts between ``p`` and ``q`` that ``p`` won (nan: none)."""
        won, total = self.wins.get((p, q), (0, 0))
        return won / total if total else math.nan


def discretion(verdicts: Sequence[Mapping[str, int]], choices: Sequence[int | None]) -> Discretion:
    """Departure rate and principle supremacy (module docstring).

    Args:
        verdicts: per pair, principle -> preferred response (0 or 1); principles
            with no verdict are left out.
        choices: per pair, the annotator's choice (0 or 1), None when unread.

    Raises:
        ValueError: different lengths or a verdict or choice other than 0 and 1.
    """
    if len(verdicts) != len(choices):
        raise ValueError(f"{len(verdicts)} verdict sets for {len(choices)} choices")
    consensus = departures = conflicts = unread = 0
    wins: dict[tuple[str, str], list[int]] = {}
    for pair, choice in zip(verdicts, choices, strict=True):
        if any(v not in (0, 1) for v in pair.values()):
            raise ValueError(f"principle verdicts must be 0 or 1, got {dict(pair)}")
        if choice is None:
            unread += 1
            continue
        if choice not in (0, 1):
            raise ValueError(f"choices must be 0, 1 or None, got {choice!r}")
        values = set(pair.values())
        if len(values) == 1:
            consensus += 1
            departures += choice not in values
        elif len(values) == 2:
            conflicts += 1
            for p, vp in pair.items():
                for q, vq in pair.items():
                    if vp != vq:
                        cell = wins.setdefault((p, q), [0, 0])
                        cell[0] += choice == vp
                        cell[1] += 1
    return Discretion(
        consensus=consensus,
        departures=departures,
        conflicts=conflicts,
        wins={k: (v[0], v[1]) for k, v in wins.items()},
        unread=unread,
    )
