"""Checks on the answers of the model under test, for interventions that act after the answer.

An intervention's solver runs *before* a task's answering step, yet an output
policy (``guard``) or an output rectifier (``refine``) must see the answer the
task then produces, whatever that step is (a plain ``generate()``, a
forced-choice generation, a multi-turn helper). Inspect has no per-sample hook
after a generation outside its agent sentinels, so alignlab wraps
``inspect_ai.model.Model.generate`` once: after every generation *of the model
under test* (Inspect's active model) inside a sample whose store lists answer
checks, each listed check gets the output and returns the output to use.

* :func:`answer_check` registers a check under a name;
* :func:`attach` (called by an intervention's solver) lists a check, with its
  arguments, in the sample's store, so it applies to that sample only;
* a check that calls models itself (a rectifier, a grader) is not checked
  again: checks run with a context flag set.

Generations of other roles (grader, aligner, refiner) are never checked;
where no grader role is bound Inspect hands the role the model under test, and
a grader call made from a task's scorer in such a sample is then checked too
(a verdict such as "yes" passes any sensible output policy).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    Model,
    ModelOutput,
)
from inspect_ai.solver import TaskState

STORE_KEY = "alignlab_answer_checks"

AnswerCheck = Callable[
    [TaskState, Sequence[ChatMessage], ModelOutput, Mapping[str, Any]], Awaitable[ModelOutput]
]

_CHECKS: dict[str, AnswerCheck] = {}
_checking: ContextVar[bool] = ContextVar("alignlab_answer_checking", default=False)
_installed = False


def answer_check(name: str) -> Callable[[AnswerCheck], AnswerCheck]:
    """Register ``check`` as the answer check ``name``."""

    def register(check: AnswerCheck) -> AnswerCheck:
        _CHECKS[name] = check
        return check

    return register


def attach(state: TaskState, name: str, args: Mapping[str, Any]) -> None:
    """Apply the check ``name`` (with ``args``, JSON values) to this sample's later answers."""
    if name not in _CHECKS:
        raise KeyError(f"no answer check named {name!r}")
    _install()
    stored: list[list[Any]] = state.store.get(STORE_KEY, [])
    listed = [list(item) for item in stored]
    entry: list[Any] = [name, dict(args)]
    if entry not in listed:
        listed.append(entry)
    state.store.set(STORE_KEY, listed)


def _install() -> None:
    global _installed
    if _installed:
        return
    original = Model.generate

    @functools.wraps(original)
    async def generate(self: Model, input: Any, *args: Any, **kwargs: Any) -> ModelOutput:
        output = await original(self, input, *args, **kwargs)
        if _checking.get():
            return output
        from inspect_ai.model._model import active_model
        from inspect_ai.solver._task_state import sample_state

        state = sample_state()
        if state is None or self is not active_model():
            return output
        listed: list[list[Any]] = state.store.get(STORE_KEY) or []
        if not listed:
            return output
        messages: Sequence[ChatMessage] = input if isinstance(input, list) else list(state.messages)
        token = _checking.set(True)
        try:
            for name, args in listed:
                output = await _CHECKS[str(name)](state, messages, output, dict(args))
        finally:
            _checking.reset(token)
        return output

    Model.generate = generate  # type: ignore[method-assign]
    _installed = True


def replace_text(output: ModelOutput, text: str, stop_reason: str | None = None) -> ModelOutput:
    """``output`` with its answer text replaced; usage kept, log-probs dropped (they no longer fit).

    ``stop_reason="content_filter"`` marks a refusal.
    """
    replaced = ModelOutput.from_content(
        model=output.model,
        content=text,
        stop_reason=stop_reason or (output.stop_reason if output.choices else "stop"),  # type: ignore[arg-type]
    )
    replaced.usage = output.usage
    replaced.time = output.time
    return replaced


def messages_as_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """The conversation as the policy guard reads it."""
    return [{"role": m.role, "content": m.text} for m in messages]


def refuse(state: TaskState, refusal: str) -> TaskState:
    """End the sample with ``refusal`` as the answer (stop reason ``content_filter``)."""
    state.messages.append(ChatMessageAssistant(content=refusal))
    state.output = ModelOutput.from_content(
        model=str(state.model), content=refusal, stop_reason="content_filter"
    )
    state.completed = True
    return state


def replace_last_user(state: TaskState, text: str) -> None:
    """Put ``text`` in place of the last user message (a rewritten or refined request)."""
    for index in range(len(state.messages) - 1, -1, -1):
        if state.messages[index].role == "user":
            state.messages[index] = ChatMessageUser(content=text)
            return
