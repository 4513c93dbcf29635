"""Command-line task arguments: checked against each task's signature, routed to the tasks that
take them.

``-T key=value`` arrives as text coerced to int, float, bool or None (see
``alignlab.cli``); a task's type hints say what it accepts. Checking here,
before any task is built or any model loaded, turns ``-T binarize=maybe`` or
``--scoring bogus`` into one line naming the option and the allowed values
instead of a silent truthy string or a run where every answer is unparsed.
With a suite, a key goes to the tasks whose signature has it, and is refused
only when no task of the run takes it.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from alignlab.errors import UnknownTaskError

# What the options every task takes have to be, whatever a task's hint says.
_POSITIVE = ("limit", "epochs", "n_pairs", "samples", "max_tokens")


def task_hints(factory: Callable[..., Any]) -> dict[str, Any]:
    """Parameter name -> type hint of a ``@task`` function (``return`` left out)."""
    try:
        hints = typing.get_type_hints(factory)
    except Exception:  # an unresolvable hint: accept the parameter, unchecked
        import inspect

        hints = {name: Any for name in inspect.signature(factory).parameters}
    hints.pop("return", None)
    return hints


def _words(allowed: Sequence[Any]) -> str:
    return ", ".join(str(a) for a in allowed)


def _describe(hint: Any) -> str:
    """How a refusal names what a parameter accepts."""
    if get_origin(hint) is Literal:
        return f"one of {_words(get_args(hint))}"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "text"}
    return names.get(hint, str(hint))


def check_value(task: str, key: str, value: Any, hint: Any) -> Any:
    """``value`` as ``task`` takes it for parameter ``key``; refuses what the hint excludes.

    Returns the value, a number turned back into text where the hint wants
    text (``-T variant=2`` is the variant called ``2``).

    Raises:
        UnknownTaskError: the value is not of the hinted type, or not one of a
            ``Literal``'s values; the message names the option and what it accepts.
    """
    if (
        key in _POSITIVE
        and value is not None
        and (isinstance(value, bool) or not isinstance(value, int) or value < 1)
    ):
        raise UnknownTaskError(f"{key} must be a positive integer, got {value!r}")
    checked, ok = _fits(value, hint)
    if not ok:
        raise UnknownTaskError(f"{key} must be {_describe(_main(hint))} for {task}, got {value!r}")
    return checked


def _main(hint: Any) -> Any:
    """``X`` of ``X | None``: what a refusal should name."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        others = [a for a in get_args(hint) if a is not type(None)]
        if len(others) == 1:
            return others[0]
    return hint


def _fits(value: Any, hint: Any) -> tuple[Any, bool]:
    """(value as the parameter takes it, whether it fits ``hint``)."""
    if hint is Any:
        return value, True
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in get_args(hint):
            checked, ok = _fits(value, option)
            if ok:
                return checked, True
        return value, False
    if origin is Literal:
        return value, value in get_args(hint) and type(value) in {type(a) for a in get_args(hint)}
    if origin in (list, tuple, Sequence):
        return value, isinstance(value, str | list | tuple)
    if hint is type(None):
        return value, value is None
    if hint is bool:
        return value, isinstance(value, bool)
    if hint is int:
        return value, isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)  # -T temperature=nan parses as a float, means nothing
        return (float(value) if ok else value), ok
    if hint is str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value), True
        return value, isinstance(value, str)
    return value, True  # a type the command line cannot spell: the task checks it


def route(
    tasks: Sequence[tuple[str, Callable[..., Any]]],
    overrides: Mapping[str, Any],
    refuse_unused: bool = True,
) -> list[dict[str, Any]]:
    """Each task's share of the command line's arguments, checked.

    ``tasks`` are (name, ``@task`` function) pairs in run order. A key goes
    to every task whose signature has it, checked against that task's hint.
    ``refuse_unused`` False: keys none of ``tasks`` takes pass silently (the
    run has other tasks, of another package, that may take them).

    Raises:
        UnknownTaskError: a key no task of the run takes (the message lists
            what they do take), or a value a task refuses.
    """
    hints = [(name, task_hints(factory)) for name, factory in tasks]
    unused = [key for key in overrides if not any(key in h for _, h in hints)]
    if unused and refuse_unused and hints:
        taken = sorted({key for _, h in hints for key in h})
        it = "it" if len(unused) == 1 else "them"
        which = (
            f"{hints[0][0]} does not take {it}"
            if len(hints) == 1
            else f"no task of this run takes {it}"
        )
        raise UnknownTaskError(
            f"-T {_words(unused)}: {which}; the options "
            f"{'it' if len(hints) == 1 else 'they'} take are {_words(taken)}"
        )
    return [
        {key: check_value(name, key, value, h[key]) for key, value in overrides.items() if key in h}
        for name, h in hints
    ]
