"""Degenerate runs: answers that say something about the run, not about the model's values.

A run whose every item got the same answer (or the same position), whose
answers could mostly not be read, or whose model put almost no probability on
the valid choices still yields numbers: an Elo ranking, exchange rates, a
"closest group". Those numbers describe the answering, so the report says so
in one line at the top of the run's family and on the terminal, and shows
what was derived from the run greyed out rather than as results.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alignlab.report.logs import register_view

_VIEW = "degenerate.answers"
"""The per-sample view this module reads (:meth:`RunLog.view`)."""

# Fewest scored items before "every item got the same answer" means anything.
MIN_ITEMS = 5
# Share of unreadable answers above which a run's numbers are mostly about the parser.
MAX_UNPARSED = 0.5
# Mean probability on the valid choices below which a log-prob run is reading noise.
MIN_CHOICE_MASS = 0.05


@dataclass(frozen=True)
class Answer:
    """What the detector reads of one scored sample."""

    answer: str | None
    position: str | None
    unparsed: bool
    choice_mass: float | None


def answer_of(sample: Any) -> Answer | None:
    """The answer of a sample's first score that records one (None: nothing scored)."""
    for score in (getattr(sample, "scores", None) or {}).values():
        value = score.value if isinstance(score.value, Mapping) else {}
        meta: Mapping[str, Any] = score.metadata or {}
        position = meta.get("shown", meta.get("pred", meta.get("parsed")))
        mass = meta.get("choice_mass")
        unparsed = bool(value.get("unparsed")) if "unparsed" in value else score.answer is None
        return Answer(
            answer=None if score.answer is None else str(score.answer),
            position=None if position is None else str(position),
            unparsed=unparsed,
            choice_mass=float(mass) if isinstance(mass, int | float) else None,
        )
    return None


def finding(answers: Iterable[Answer]) -> str | None:
    """Why a run's answers are degenerate, in a few words; None when they are not.

    Checked in order: most answers unreadable; one answer for every item; one
    position for every item (the same letter whatever the options were, so
    identical under both option orders); tiny probability mass on the valid
    choices.
    """
    found = list(answers)
    n = len(found)
    if n == 0:
        return None
    unparsed = sum(a.unparsed for a in found) / n
    if unparsed > MAX_UNPARSED:
        return f"{unparsed:.0%} of {n} answers could not be read"
    if n < MIN_ITEMS:
        return None
    read = [a for a in found if not a.unparsed]
    answers_seen = Counter(a.answer for a in read)
    if len(read) >= MIN_ITEMS and len(answers_seen) == 1:
        [(only, _)] = answers_seen.items()
        return f"every one of the {len(read)} read answers was '{only}'"
    positions = Counter(a.position for a in read if a.position is not None)
    if sum(positions.values()) >= MIN_ITEMS and len(positions) == 1:
        [(only, _)] = positions.items()
        return f"every one of the {len(read)} read answers took the same position ({only})"
    masses = [
        a.choice_mass for a in found if a.choice_mass is not None and math.isfinite(a.choice_mass)
    ]
    if masses and sum(masses) / len(masses) < MIN_CHOICE_MASS:
        return (
            f"the model put {sum(masses) / len(masses):.1%} of its probability on the valid "
            "choices on average"
        )
    return None


def check_run(run: Any) -> str | None:
    """One line for the report and the terminal when ``run`` (a ``RunLog``) is degenerate."""
    answers = [a for a in run.view(_VIEW, answer_of) if a is not None]
    why = finding(answers)
    if why is None:
        return None
    variant = run.args.get("variant")
    label = f"{run.task}" + (f" ({variant})" if variant else "")
    return (
        f"Degenerate run: {label} on {run.model}: {why}. Its numbers describe the answering, "
        "not the model's values; what is derived from it is greyed out."
    )


register_view(_VIEW, answer_of)
