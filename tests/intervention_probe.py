"""A probe for a task's intervention slot: a no-op intervention and a stand-in answering step.

Tests import it as ``intervention_probe`` (``tests/`` is on ``sys.path``, see
``mock_outputs``). :func:`install` registers the intervention ``probe`` and
replaces the task module's ``forced_choice`` so a test can check that the
intervention's solver runs right before the answer and what context it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from inspect_ai.model import ChatMessageSystem
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignlab import interventions


@solver
def _passthrough() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return state

    return solve


@solver
def system_message(text: str) -> Solver:
    """A stand-in intervention: the system message ``text`` ahead of the conversation."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.messages.insert(0, ChatMessageSystem(content=text))
        return state

    return solve


@dataclass
class Probe:
    """What the probe saw: the contexts it was built with and what the answer ran after."""

    intervention: Solver = field(default_factory=_passthrough)
    answer: Solver = field(default_factory=_passthrough)
    contexts: list[interventions.InterventionContext] = field(default_factory=list)
    answered_after: list[list[Solver]] = field(default_factory=list)


def install(monkeypatch: pytest.MonkeyPatch, task_module: ModuleType) -> Probe:
    """Register the intervention ``probe`` and stub ``task_module.forced_choice``."""
    probe = Probe()

    def factory(args: Any, context: interventions.InterventionContext) -> list[Solver]:
        probe.contexts.append(context)
        return [probe.intervention]

    def forced_choice(**kwargs: Any) -> Solver:
        probe.answered_after.append(list(kwargs.get("before") or []))
        return probe.answer

    interventions.registered()  # load the bundled ones, so "probe" is not cleared by a later load
    monkeypatch.setitem(interventions._REGISTRY, "probe", (factory, "a test intervention"))
    monkeypatch.setattr(task_module, "forced_choice", forced_choice)
    return probe
