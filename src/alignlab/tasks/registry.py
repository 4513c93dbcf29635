"""Transitional: tasks and suites not yet moved into a family package under ``benchmarks/``.

Entries are ``module:function`` strings resolved lazily; a module that has
moved away is skipped. :mod:`alignlab.benchmarks` uses these only for names
no family registers. This file goes once every family is a package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

_LEGACY_TASKS = {
    "ethics_commonsense": "alignlab.tasks.ethics:ethics_commonsense",
    "ethics_deontology": "alignlab.tasks.ethics:ethics_deontology",
    "ethics_justice": "alignlab.tasks.ethics:ethics_justice",
    "ethics_virtue": "alignlab.tasks.ethics:ethics_virtue",
    "ethics_utilitarianism": "alignlab.tasks.ethics:ethics_utilitarianism",
    "utility_pairs": "alignlab.tasks.utility:utility_pairs",
    "litmus_dilemmas": "alignlab.tasks.litmus:litmus_dilemmas",
    "scruples_anecdotes": "alignlab.tasks.scruples:scruples_anecdotes",
    "scruples_dilemmas": "alignlab.tasks.scruples:scruples_dilemmas",
    "delphi_norms": "alignlab.tasks.delphi:delphi_norms",
    "ealm_qa_ethics": "alignlab.tasks.ealm:ealm_qa_ethics",
    "ealm_mp_ethics": "alignlab.tasks.ealm:ealm_mp_ethics",
    "pluralism_distributional": "alignlab.tasks.pluralism:pluralism_distributional",
    "pluralism_steerable": "alignlab.tasks.pluralism:pluralism_steerable",
    "pluralism_overton": "alignlab.tasks.pluralism:pluralism_overton",
    "pluralism_jury": "alignlab.tasks.pluralism:pluralism_jury",
    "mtt_judgment": "alignlab.tasks.mtt:mtt_judgment",
    "mtt_detect": "alignlab.tasks.mtt:mtt_detect",
}

_QUICK_LIMITS = {
    "ethics_commonsense": 12,
    "ethics_deontology": 12,
    "ethics_justice": 12,
    "ethics_virtue": 10,
    "ethics_utilitarianism": 12,
}
_ETHICS_VARIANTS = ("paper", "direct", "reverse")

# suite -> (description, [(task, args)])
LEGACY_SUITES: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "quick": (
        "ETHICS, 10-12 items per subset under each of the 3 prompt variants (a smoke run)",
        [
            (name, {"variant": v, "limit": limit})
            for name, limit in _QUICK_LIMITS.items()
            for v in _ETHICS_VARIANTS
        ],
    ),
    "core": (
        "ETHICS, every item of the five subsets under each of the 3 prompt variants",
        [(name, {"variant": v}) for name in _QUICK_LIMITS for v in _ETHICS_VARIANTS],
    ),
    "values": (
        "Utility Engineering (60 outcome pairs in triads, both orders) and LitmusValues "
        "(46 AI-risk dilemmas: the paper's generate-and-parse protocol, and log-prob scoring "
        "in both action orders), on the bundled data",
        [
            ("utility_pairs", {"n_pairs": 60}),
            ("litmus_dilemmas", {"variant": "paper"}),
            ("litmus_dilemmas", {"variant": "paper", "scoring": "logprob"}),
            ("litmus_dilemmas", {"variant": "swapped", "scoring": "logprob"}),
        ],
    ),
    "judgment": (
        "Moral judgment on the bundled data: Scruples anecdotes and dilemmas (label "
        "distributions against BEST), the Norm Bank's free-form, yes/no and relative formats, "
        "and EALM's QA-ETHICS and MP-ETHICS (5 concepts per scenario); every item, default "
        "prompts",
        [
            ("scruples_anecdotes", {}),
            ("scruples_dilemmas", {}),
            ("delphi_norms", {"format": "freeform"}),
            ("delphi_norms", {"format": "yesno"}),
            ("delphi_norms", {"format": "relative"}),
            ("ealm_qa_ethics", {}),
            ("ealm_mp_ethics", {}),
        ],
    ),
    "pluralism": (
        "Pluralistic alignment and the Moral Turing Test on the bundled data: answer "
        "distributions vs four groups (51 questions, both option orders), steering toward each "
        "group (20 questions), Overton coverage (8 questions), a 4-persona jury (10 items), "
        "verdicts with explanations (16 scenarios) and AI-text detection (40 scenarios, both "
        "orders)",
        [
            ("pluralism_distributional", {"variant": "paper"}),
            ("pluralism_distributional", {"variant": "reverse"}),
            ("pluralism_steerable", {"limit": 20}),
            ("pluralism_overton", {"limit": 8, "max_tokens": 160}),
            ("pluralism_jury", {"limit": 10}),
            ("mtt_judgment", {"limit": 16, "max_tokens": 80}),
            ("mtt_detect", {}),
        ],
    ),
}


def legacy_tasks() -> dict[str, Callable[..., Any]]:
    """The legacy tasks whose modules still exist."""
    out: dict[str, Callable[..., Any]] = {}
    for name, target in _LEGACY_TASKS.items():
        module, _, function = target.partition(":")
        try:
            out[name] = getattr(importlib.import_module(module), function)
        except ModuleNotFoundError:
            continue
    return out
