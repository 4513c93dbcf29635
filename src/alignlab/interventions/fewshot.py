"""``fewshot``: k labelled training examples as earlier turns of the conversation.

``fewshot:k=5,seed=0`` draws ``k`` examples with ``seed`` from the family's
training split (``InterventionContext.examples``; never the items being
scored) once per task, and puts each before the item as a user turn (the
example rendered as the task renders its items) and an assistant turn (its
gold answer). The same examples precede every item, and the content-free
calibration prompt, so calibration sees the context the items are answered in.
"""

from __future__ import annotations

from collections.abc import Mapping

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext, intervention, require, to_int

NAME = "fewshot"
DEFAULT_K = 5


@solver
def fewshot_turns(examples: list[tuple[str, str]]) -> Solver:
    """Insert ``(prompt, answer)`` pairs as user/assistant turns after any system prompt."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        turns: list[ChatMessage] = []
        for prompt, answer in examples:
            turns.append(ChatMessageUser(content=prompt))
            turns.append(ChatMessageAssistant(content=answer))
        start = next(
            (i for i, m in enumerate(state.messages) if m.role != "system"), len(state.messages)
        )
        state.messages[start:start] = turns
        return state

    return solve


@intervention(NAME, "k labelled train-split examples as earlier turns (k=5, seed=0)")
def fewshot(args: Mapping[str, str], context: InterventionContext) -> list[Solver]:
    """The ``fewshot`` intervention.

    Raises:
        UnknownTaskError: the task has no training split, or ``k`` is not positive.
    """
    require(args, ("k", "seed"), NAME)
    k = to_int(args, "k", DEFAULT_K, NAME)
    seed = to_int(args, "seed", 0, NAME)
    if k < 1:
        raise UnknownTaskError(f"Intervention '{NAME}': k must be at least 1, got {k}")
    if context.examples is None:
        raise UnknownTaskError(
            f"Intervention '{NAME}' needs labelled training examples, and {context.task} "
            f"({context.family}) has no training split to draw them from; drop '{NAME}' "
            "for this task."
        )
    examples = context.examples(k, seed)
    if not examples:
        raise UnknownTaskError(
            f"Intervention '{NAME}': {context.task} returned no training examples."
        )
    return [fewshot_turns(examples=[(e.prompt, e.answer) for e in examples])]
