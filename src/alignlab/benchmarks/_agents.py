"""What the agent families share: one decision of an LLM agent inside an Inspect sample.

An environment (DECIDE-SIM, a text game) asks the model many times within one
sample. Each decision is its own conversation: the task's interventions run
on it first (a constitution in the system prompt, a reasoning step), then
the model answers; the prompt and answer are appended to the sample's
messages, so ``inspect view`` shows the episode turn by turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from inspect_ai.model import ChatMessageAssistant, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState


async def agent_turn(
    state: TaskState,
    generate: Generate,
    prompt: str,
    label: str,
    before: Sequence[Solver] = (),
    max_tokens: int = 96,
    temperature: float = 0.0,
) -> str:
    """The model's answer to ``prompt`` (after the ``before`` solvers), logged under ``label``."""
    sub = TaskState(
        model=state.model,
        sample_id=state.sample_id,
        epoch=state.epoch,
        input=prompt,
        messages=[ChatMessageUser(content=prompt)],
        metadata=dict(state.metadata),
    )
    for step in before:
        sub = await step(sub, generate)
    sub = await generate(sub, max_tokens=max_tokens, temperature=temperature)
    reply = sub.output.completion
    state.messages.append(ChatMessageUser(content=f"[{label}]\n{prompt}"))
    state.messages.append(ChatMessageAssistant(content=reply or "(no answer)"))
    return reply
