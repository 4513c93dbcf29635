"""Named tasks and suites: what ``alignlab eval --task`` and ``--suite`` accept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inspect_ai import Task

from alignlab.errors import UnknownTaskError
from alignlab.tasks.delphi import delphi_norms
from alignlab.tasks.ealm import ealm_mp_ethics, ealm_qa_ethics
from alignlab.tasks.ethics import (
    VARIANTS,
    ethics_commonsense,
    ethics_deontology,
    ethics_justice,
    ethics_utilitarianism,
    ethics_virtue,
)
from alignlab.tasks.litmus import litmus_dilemmas
from alignlab.tasks.mtt import mtt_detect, mtt_judgment
from alignlab.tasks.pluralism import (
    pluralism_distributional,
    pluralism_jury,
    pluralism_overton,
    pluralism_steerable,
)
from alignlab.tasks.scruples import scruples_anecdotes, scruples_dilemmas
from alignlab.tasks.utility import utility_pairs

TASKS: dict[str, Callable[..., Task]] = {
    "ethics_commonsense": ethics_commonsense,
    "ethics_deontology": ethics_deontology,
    "ethics_justice": ethics_justice,
    "ethics_virtue": ethics_virtue,
    "ethics_utilitarianism": ethics_utilitarianism,
    "utility_pairs": utility_pairs,
    "litmus_dilemmas": litmus_dilemmas,
    "scruples_anecdotes": scruples_anecdotes,
    "scruples_dilemmas": scruples_dilemmas,
    "delphi_norms": delphi_norms,
    "ealm_qa_ethics": ealm_qa_ethics,
    "ealm_mp_ethics": ealm_mp_ethics,
    "pluralism_distributional": pluralism_distributional,
    "pluralism_steerable": pluralism_steerable,
    "pluralism_overton": pluralism_overton,
    "pluralism_jury": pluralism_jury,
    "mtt_judgment": mtt_judgment,
    "mtt_detect": mtt_detect,
}


@dataclass(frozen=True)
class TaskSpec:
    """One task of a suite with its arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    """A named list of tasks."""

    name: str
    description: str
    tasks: tuple[TaskSpec, ...]


# Quick: whole contrast groups, a few per subset, every prompt variant.
_QUICK_LIMITS = {
    "ethics_commonsense": 12,
    "ethics_deontology": 12,
    "ethics_justice": 12,
    "ethics_virtue": 10,
    "ethics_utilitarianism": 12,
}

SUITES: dict[str, Suite] = {
    "quick": Suite(
        "quick",
        "ETHICS, 10-12 items per subset under each of the 3 prompt variants (a smoke run)",
        tuple(
            TaskSpec(name, {"variant": variant, "limit": limit})
            for name, limit in _QUICK_LIMITS.items()
            for variant in VARIANTS
        ),
    ),
    "core": Suite(
        "core",
        "ETHICS, every item of the five subsets under each of the 3 prompt variants",
        # ETHICS tasks only: the prompt variants below are ETHICS's.
        tuple(
            TaskSpec(name, {"variant": variant}) for name in _QUICK_LIMITS for variant in VARIANTS
        ),
    ),
    "values": Suite(
        "values",
        "Utility Engineering (60 outcome pairs in triads, both orders) and LitmusValues "
        "(46 AI-risk dilemmas: the paper's generate-and-parse protocol, and log-prob scoring "
        "in both action orders), on the bundled data",
        (
            TaskSpec("utility_pairs", {"n_pairs": 60}),
            TaskSpec("litmus_dilemmas", {"variant": "paper"}),
            TaskSpec("litmus_dilemmas", {"variant": "paper", "scoring": "logprob"}),
            TaskSpec("litmus_dilemmas", {"variant": "swapped", "scoring": "logprob"}),
        ),
    ),
    "judgment": Suite(
        "judgment",
        "Moral judgment on the bundled data: Scruples anecdotes and dilemmas (label "
        "distributions against BEST), the Norm Bank's free-form, yes/no and relative formats, "
        "and EALM's QA-ETHICS and MP-ETHICS (5 concepts per scenario); every item, default "
        "prompts",
        (
            TaskSpec("scruples_anecdotes"),
            TaskSpec("scruples_dilemmas"),
            TaskSpec("delphi_norms", {"format": "freeform"}),
            TaskSpec("delphi_norms", {"format": "yesno"}),
            TaskSpec("delphi_norms", {"format": "relative"}),
            TaskSpec("ealm_qa_ethics"),
            TaskSpec("ealm_mp_ethics"),
        ),
    ),
    "pluralism": Suite(
        "pluralism",
        "Pluralistic alignment and the Moral Turing Test on the bundled data: answer "
        "distributions vs four groups (51 questions, both option orders), steering toward each "
        "group (20 questions), Overton coverage (8 questions), a 4-persona jury (10 items), "
        "verdicts with explanations (16 scenarios) and AI-text detection (40 scenarios, both "
        "orders)",
        (
            TaskSpec("pluralism_distributional", {"variant": "paper"}),
            TaskSpec("pluralism_distributional", {"variant": "reverse"}),
            TaskSpec("pluralism_steerable", {"limit": 20}),
            TaskSpec("pluralism_overton", {"limit": 8, "max_tokens": 160}),
            TaskSpec("pluralism_jury", {"limit": 10}),
            TaskSpec("mtt_judgment", {"limit": 16, "max_tokens": 80}),
            TaskSpec("mtt_detect"),
        ),
    ),
}


def resolve_suite(name: str) -> Suite:
    """The suite called ``name``."""
    try:
        return SUITES[name]
    except KeyError:
        raise UnknownTaskError(
            f"Unknown suite '{name}'. Known suites: {', '.join(SUITES)} (see `alignlab suites`)."
        ) from None


def build_task(spec: TaskSpec, overrides: dict[str, Any] | None = None) -> Task:
    """Instantiate a registered task; ``overrides`` (from the command line) win over the suite."""
    factory = TASKS.get(spec.name)
    if factory is None:
        raise UnknownTaskError(
            f"Unknown task '{spec.name}'. Known tasks: {', '.join(TASKS)} (see `alignlab suites`)."
        )
    args = {**spec.args, **(overrides or {})}
    try:
        return factory(**args)
    except TypeError as ex:
        raise UnknownTaskError(f"Bad arguments for task '{spec.name}': {ex}") from ex
