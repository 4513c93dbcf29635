"""``guard``: a Rego policy bundle in front of the model, in any task's intervention slot.

``guard[:bundle=general|medical|PATH,feature_timeout=10]`` judges the last
user message of every item with the bundle's request policy (the same
:class:`~alignlab.policy.guard.Guard` that ``alignlab serve`` uses), right
before the task's answering step:

* ``deny``: the item gets the policy's refusal as its answer and the
  answering step is skipped (``state.completed``), so a forced-choice item
  counts as unparsed and a generation item is scored on the refusal; the
  report's unparsed rate shows the refusals the guard adds;
* ``rewrite``: the message the model sees is the rewritten one (PII redacted);
* ``escalate`` and ``allow``: the item runs unchanged.

A policy error or a feature timeout fails closed: the item is refused with
the error as the reason. Every decision is kept in the sample's store under
``guard`` (action, reasons, bundle digest), so a guarded run's log shows why
each item was refused.

The response policy is not applied here: it needs the answer, which the
task's own answering step produces after this solver; ``alignlab serve``
applies both stages.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import anyio
from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext, intervention, require
from alignlab.policy import resolve_bundle
from alignlab.policy.bundle import PolicyError
from alignlab.policy.guard import Guard

NAME = "guard"
STORE_KEY = "guard"
DEFAULT_BUNDLE = "general"
DEFAULT_FEATURE_TIMEOUT_S = 10.0

_guards: dict[tuple[str, float], Guard] = {}
_lock = threading.Lock()


def load_guard(bundle: str, feature_timeout_s: float) -> Guard:
    """The compiled guard for ``bundle``, loaded once per process."""
    path = str(resolve_bundle(bundle).resolve())
    with _lock:
        key = (path, feature_timeout_s)
        if key not in _guards:
            _guards[key] = Guard.load(path, feature_timeout_s=feature_timeout_s)
        return _guards[key]


@solver
def guard_request(
    bundle: str = DEFAULT_BUNDLE, feature_timeout_s: float = DEFAULT_FEATURE_TIMEOUT_S
) -> Solver:
    """Judge the last user message with ``bundle``'s request policy (see module docstring)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        guard = await anyio.to_thread.run_sync(load_guard, bundle, feature_timeout_s)
        messages = [{"role": m.role, "content": m.text} for m in state.messages]
        try:
            verdict = await anyio.to_thread.run_sync(guard.check_request, messages)
        except PolicyError as ex:
            refusal = f"I can't help with that: the policy check failed ({ex})."
            state.store.set(STORE_KEY, {"action": "error", "reasons": [str(ex)]})
            return _refuse(state, refusal)
        state.store.set(
            STORE_KEY,
            {
                "action": verdict.decision.action,
                "reasons": list(verdict.decision.reasons),
                "bundle": guard.digest,
            },
        )
        if verdict.blocked:
            return _refuse(state, verdict.refusal())
        if verdict.rewritten:
            for index in range(len(state.messages) - 1, -1, -1):
                if state.messages[index].role == "user":
                    state.messages[index] = ChatMessageUser(content=verdict.text)
                    break
        return state

    return solve


def _refuse(state: TaskState, refusal: str) -> TaskState:
    state.messages.append(ChatMessageAssistant(content=refusal))
    state.output = ModelOutput.from_content(
        model=str(state.model), content=refusal, stop_reason="content_filter"
    )
    state.completed = True
    return state


@intervention(
    NAME,
    f"a Rego policy bundle judges each prompt first (bundle={DEFAULT_BUNDLE}|medical|PATH, "
    f"feature_timeout={DEFAULT_FEATURE_TIMEOUT_S:g}); denied items are refused",
)
def guard(args: Mapping[str, str], context: InterventionContext) -> list[Solver]:
    """The ``guard`` intervention.

    Raises:
        UnknownTaskError: an unknown argument, a bad timeout, or a bundle that does not compile.
    """
    require(args, ("bundle", "feature_timeout"), NAME)
    bundle = args.get("bundle") or DEFAULT_BUNDLE
    try:
        timeout = float(args.get("feature_timeout", DEFAULT_FEATURE_TIMEOUT_S))
    except ValueError:
        raise UnknownTaskError(f"Intervention '{NAME}': feature_timeout must be a number") from None
    if timeout <= 0:
        raise UnknownTaskError(f"Intervention '{NAME}': feature_timeout must be positive")
    try:
        from alignlab.policy.bundle import PolicyBundle

        PolicyBundle.load(resolve_bundle(bundle))  # a broken bundle fails now, not per item
    except PolicyError as ex:
        raise UnknownTaskError(f"Intervention '{NAME}': {ex}") from None
    return [guard_request(bundle=bundle, feature_timeout_s=timeout)]
