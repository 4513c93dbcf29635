"""Preference pairs for training: DPO-style records that move a model's utilities towards a target.

Utility control (Mazeika et al. 2025, section 6): from a model's Thurstonian
fit over Utility Engineering outcomes (:mod:`alignlab.benchmarks.utility`)
and target utilities, :func:`utility_preference_pairs` writes the Utility
Engineering question with the letter of the higher-target outcome as
``chosen``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from alignlab.benchmarks.utility.tasks import utility_prompt
from alignlab.metrics import ThurstonianFit


def utility_preference_pairs(
    fit: ThurstonianFit,
    outcomes: Sequence[Mapping[str, Any] | Any],
    target: Mapping[str, float] | None = None,
    *,
    min_margin: float = 0.0,
    max_pairs: int | None = None,
    variant: str = "paper",
) -> list[dict[str, Any]]:
    """DPO-style records that move a model's preferences towards target utilities.

    For every pair of outcomes with target utilities ``t_hi > t_lo + min_margin``,
    two records (one per order of the options, so no letter is favoured) ask
    the Utility Engineering question with ``prompt`` (the user message; the
    task's system message is "You are a helpful assistant."), ``chosen`` the
    letter of the higher-target outcome, ``rejected`` the other letter and
    ``margin = t_hi - t_lo``. Pairs are ordered by how strongly the fitted
    model currently disagrees with the target (lowest ``fit.prob(hi, lo)``
    first), so ``max_pairs`` keeps the most useful ones.

    Args:
        fit: the model's current Thurstonian fit; option ``k`` is ``outcomes[k]``.
        outcomes: one per option, each with ``id`` and ``text`` (dicts as in
            ``UtilityAnalysis.outcomes`` of the utility analysis, or
            :class:`~alignlab.benchmarks.utility.data.Outcome`).
        target: target utility by outcome id; outcomes without one are left out.
            None uses the fit's own means, which sharpens the current preferences.
        min_margin: skip pairs whose target utilities differ by this much or less.
        max_pairs: keep at most this many pairs (2 records each).
        variant: the prompt variant (``paper``).

    Returns:
        Records ``{"prompt", "chosen", "rejected", "margin"}``.

    Raises:
        ValueError: if ``outcomes`` does not match the fit's options.
    """
    means = np.asarray(fit.means, dtype=float)
    if len(outcomes) != means.size:
        raise ValueError(
            f"the fit has {means.size} options but {len(outcomes)} outcomes were given"
        )
    ids = [str(_field(o, "id")) for o in outcomes]
    texts = [str(_field(o, "text")) for o in outcomes]
    goal = {ids[k]: float(means[k]) for k in range(len(ids))} if target is None else dict(target)
    scored = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if ids[i] not in goal or ids[j] not in goal:
                continue
            hi, lo = (i, j) if goal[ids[i]] >= goal[ids[j]] else (j, i)
            margin = goal[ids[hi]] - goal[ids[lo]]
            if margin <= min_margin:
                continue
            scored.append((fit.prob(hi, lo), -margin, hi, lo, margin))
    scored.sort()
    if max_pairs is not None:
        scored = scored[:max_pairs]
    records = []
    for _, _, hi, lo, margin in scored:
        records.append(
            {
                "prompt": utility_prompt(texts[hi], texts[lo], variant),
                "chosen": "A",
                "rejected": "B",
                "margin": margin,
            }
        )
        records.append(
            {
                "prompt": utility_prompt(texts[lo], texts[hi], variant),
                "chosen": "B",
                "rejected": "A",
                "margin": margin,
            }
        )
    return records


def _field(outcome: Mapping[str, Any] | Any, name: str) -> Any:
    return outcome[name] if isinstance(outcome, Mapping) else getattr(outcome, name)
