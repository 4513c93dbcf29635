"""Named tasks and suites: what ``alignlab eval --task`` and ``--suite`` accept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inspect_ai import Task

from alignlab.errors import UnknownTaskError
from alignlab.tasks.ethics import (
    VARIANTS,
    ethics_commonsense,
    ethics_deontology,
    ethics_justice,
    ethics_utilitarianism,
    ethics_virtue,
)
from alignlab.tasks.litmus import litmus_dilemmas
from alignlab.tasks.utility import utility_pairs

TASKS: dict[str, Callable[..., Task]] = {
    "ethics_commonsense": ethics_commonsense,
    "ethics_deontology": ethics_deontology,
    "ethics_justice": ethics_justice,
    "ethics_virtue": ethics_virtue,
    "ethics_utilitarianism": ethics_utilitarianism,
    "utility_pairs": utility_pairs,
    "litmus_dilemmas": litmus_dilemmas,
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
