"""``principles``: a constitution in the system prompt.

``principles`` puts the bundled ``default`` constitution (helpful, honest,
harmless) ahead of the conversation; ``principles:constitution=care`` or
``=justice`` picks another bundled one (written by this project, see
``constitutions/``), and ``principles:file=PATH`` reads a user's own text
file. Where an item already has a system prompt (a persona), the
constitution comes first in the same system message, so models whose chat
template takes one system message see both.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from inspect_ai.model import ChatMessageSystem
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext, intervention, require

NAME = "principles"
DEFAULT_CONSTITUTION = "default"


def bundled_constitutions() -> dict[str, str]:
    """Name -> text of the constitutions shipped with alignlab."""
    folder = resources.files("alignlab.interventions") / "constitutions"
    return {
        entry.name.removesuffix(".md"): entry.read_text(encoding="utf-8").strip()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".md")
    }


def constitution_text(name: str | None = None, file: str | None = None) -> str:
    """The text of a bundled constitution (``name``) or of a user's file (``file``).

    Raises:
        UnknownTaskError: both or an unknown name given, or the file is
            missing, unreadable or empty (the message names the path).
    """
    if name is not None and file is not None:
        raise UnknownTaskError(
            f"Intervention '{NAME}': give constitution=NAME or file=PATH, not both."
        )
    if file is not None:
        path = Path(file).expanduser()
        if not path.is_file():
            raise UnknownTaskError(
                f"Intervention '{NAME}': constitution file not found: {path}. "
                "Give the path of a text file holding the principles."
            )
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as ex:
            raise UnknownTaskError(
                f"Intervention '{NAME}': cannot read constitution file {path} ({ex}); "
                "save it as UTF-8 text."
            ) from ex
        if not text:
            raise UnknownTaskError(f"Intervention '{NAME}': constitution file {path} is empty.")
        return text
    bundled = bundled_constitutions()
    chosen = name or DEFAULT_CONSTITUTION
    if chosen not in bundled:
        raise UnknownTaskError(
            f"Intervention '{NAME}': unknown constitution '{chosen}'; use one of "
            f"{', '.join(bundled)}, or file=PATH for your own."
        )
    return bundled[chosen]


@solver
def constitution_prompt(text: str) -> Solver:
    """Put ``text`` in the system prompt: a new system message, or ahead of the existing one."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        index = next((i for i, m in enumerate(state.messages) if m.role == "system"), None)
        if index is None:
            state.messages.insert(0, ChatMessageSystem(content=text))
        else:
            existing = state.messages[index].text
            state.messages[index] = ChatMessageSystem(content=f"{text}\n\n{existing}")
        return state

    return solve


@intervention(
    NAME,
    "a constitution in the system prompt (constitution=default|care|justice, or file=PATH)",
)
def principles(args: Mapping[str, str], context: InterventionContext) -> list[Solver]:
    """The ``principles`` intervention: one system-prompt solver."""
    require(args, ("constitution", "file"), NAME)
    return [constitution_prompt(constitution_text(args.get("constitution"), args.get("file")))]
