"""``guard``: a Rego policy bundle around the model, in any task's intervention slot.

``guard[:bundle=general|medical|PATH,feature_timeout=10,grader=grader]``
applies both stages of the bundle (the same
:class:`~alignlab.policy.guard.Guard` that ``alignlab serve`` uses). A bundle
whose features include ``grader`` (:mod:`alignlab.policy.grader`) has its
questions answered by the model role named by ``grader``.

The request policy judges the last user message of every item right before
the task's answering step:

* ``deny``: the item gets the policy's refusal as its answer and the
  answering step is skipped (``state.completed``), so a forced-choice item
  counts as unparsed and a generation item is scored on the refusal; the
  report's unparsed rate shows the refusals the guard adds;
* ``rewrite``: the message the model sees is the rewritten one (PII redacted);
* ``escalate`` and ``allow``: the item runs unchanged.

The response policy judges every answer the model under test then gives in
that item, whatever the task's answering step is (see
:mod:`alignlab.interventions._answers`):

* ``deny``: the answer is replaced by the policy's refusal
  (``stop_reason="content_filter"``; log-probs dropped, so a log-prob
  forced-choice answer becomes unparsed);
* ``rewrite``: the answer text is the deterministic rewrite (PII redacted,
  the policy's notice appended);
* ``escalate`` and ``allow``: the answer is kept as it is.

A policy error or a feature timeout fails closed at either stage: the item or
the answer is refused with the error as the reason. Every decision is kept in
the sample's store under ``guard``: the request's action, reasons and bundle
digest, and under ``answers`` one ``{action, reasons}`` per checked answer, so
a guarded run's log shows why each item or answer was refused.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from inspect_ai.model import ChatMessage, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext, intervention, require
from alignlab.interventions._answers import (
    answer_check,
    attach,
    messages_as_dicts,
    refuse,
    replace_last_user,
    replace_text,
)
from alignlab.policy import resolve_bundle
from alignlab.policy.bundle import PolicyError
from alignlab.policy.grader import Ask, ask_role
from alignlab.policy.guard import Guard

NAME = "guard"
STORE_KEY = "guard"
DEFAULT_BUNDLE = "general"
DEFAULT_FEATURE_TIMEOUT_S = 10.0
DEFAULT_GRADER_ROLE = "grader"

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


def grader_ask(guard: Guard, role: str) -> Ask | None:
    """How the guard asks its bundle's grader questions: the model role ``role`` (None: none)."""
    return ask_role(role) if guard.grader is not None else None


@solver
def guard_request(
    bundle: str = DEFAULT_BUNDLE,
    feature_timeout_s: float = DEFAULT_FEATURE_TIMEOUT_S,
    grader: str = DEFAULT_GRADER_ROLE,
) -> Solver:
    """Judge the last user message with ``bundle``'s request policy (see module docstring)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        guard = await anyio.to_thread.run_sync(load_guard, bundle, feature_timeout_s)
        messages = messages_as_dicts(state.messages)
        try:
            verdict = await guard.check_request_async(messages, grader_ask(guard, grader))
        except PolicyError as ex:
            refusal = f"I can't help with that: the policy check failed ({ex})."
            state.store.set(STORE_KEY, {"action": "error", "reasons": [str(ex)]})
            return refuse(state, refusal)
        state.store.set(
            STORE_KEY,
            {
                "action": verdict.decision.action,
                "reasons": list(verdict.decision.reasons),
                "bundle": guard.digest,
            },
        )
        if verdict.blocked:
            return refuse(state, verdict.refusal())
        attach(
            state,
            ANSWER_CHECK,
            {"bundle": bundle, "feature_timeout_s": feature_timeout_s, "grader": grader},
        )
        if verdict.rewritten:
            replace_last_user(state, verdict.text)
        return state

    return solve


ANSWER_CHECK = "guard"


@answer_check(ANSWER_CHECK)
async def guard_answer(
    state: TaskState,
    messages: Sequence[ChatMessage],
    output: ModelOutput,
    args: Mapping[str, Any],
) -> ModelOutput:
    """The response policy on one answer of the model under test (see module docstring)."""
    guard = await anyio.to_thread.run_sync(
        load_guard, str(args["bundle"]), float(args["feature_timeout_s"])
    )
    record = dict(state.store.get(STORE_KEY) or {})
    answers = list(record.get("answers", []))
    try:
        verdict = await guard.check_response_async(
            messages_as_dicts(messages),
            output.completion,
            ask=grader_ask(guard, str(args.get("grader", DEFAULT_GRADER_ROLE))),
        )
    except PolicyError as ex:
        answers.append({"action": "error", "reasons": [str(ex)]})
        state.store.set(STORE_KEY, {**record, "answers": answers})
        refusal = f"I can't help with that: the policy check of the answer failed ({ex})."
        return replace_text(output, refusal, "content_filter")
    answers.append({"action": verdict.decision.action, "reasons": list(verdict.decision.reasons)})
    state.store.set(STORE_KEY, {**record, "answers": answers})
    if verdict.blocked:
        return replace_text(output, verdict.refusal(), "content_filter")
    if verdict.rewritten:
        return replace_text(output, verdict.text)
    return output


@intervention(
    NAME,
    f"a Rego policy bundle judges each prompt and each answer (bundle={DEFAULT_BUNDLE}|medical|"
    f"PATH, feature_timeout={DEFAULT_FEATURE_TIMEOUT_S:g}, grader=ROLE); denied ones are refused",
)
def guard(args: Mapping[str, str], context: InterventionContext) -> list[Solver]:
    """The ``guard`` intervention.

    Raises:
        UnknownTaskError: an unknown argument, a bad timeout, or a bundle that does not compile.
    """
    require(args, ("bundle", "feature_timeout", "grader"), NAME)
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
    return [
        guard_request(
            bundle=bundle,
            feature_timeout_s=timeout,
            grader=args.get("grader") or DEFAULT_GRADER_ROLE,
        )
    ]
