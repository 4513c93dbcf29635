"""Run-time interventions: Inspect solvers any alignlab task runs before its answering step.

An intervention is named on the command line as ``NAME[:key=value,...]``
(``--intervention principles:constitution=care``), or passed to a task as
``intervention="..."`` (a list chains several, in order). Each name maps to a
factory registered with :func:`intervention`; the factory gets the parsed
arguments and an :class:`InterventionContext` (the task, its family, and a
source of labelled training examples) and returns the solvers to insert.

The spec strings are task arguments, so they are in the Inspect log, in
alignlab's run key and in every report row.

Bundled interventions:

* ``principles[:constitution=default|care|justice | :file=PATH]``: a
  constitution in the system prompt (:mod:`alignlab.interventions.principles`);
* ``fewshot[:k=5,seed=0]``: k labelled examples from the family's training
  split as earlier turns (:mod:`alignlab.interventions.fewshot`);
* ``reason[:theory=NAME,max_tokens=256]``: reasoning first, optionally through
  a moral theory, then the answer (:mod:`alignlab.interventions.reason`).
* ``values[:foundation=NAME|role=NAME]``: a value instruction in the system
  prompt, written per prompt (VILMO-style) or fixed per Moral Foundation
  (:mod:`alignlab.interventions.values`).
  a moral theory, then the answer (:mod:`alignlab.interventions.reason`);
* ``multiplex``: multiplexity principles (many worldviews, none the default)
  in the system prompt (:mod:`alignlab.interventions.multiplex`);
* ``council[:roster=a/b,max_tokens=128]``: one agent per cultural tradition
  answers, then the answering step synthesises their contributions
  (:mod:`alignlab.interventions.council`).

Forced-choice tasks pass the same solvers to
:func:`~alignlab.scorers.forced_choice.forced_choice` (``before=``), which runs
the content-free calibration prompt through them too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from inspect_ai.solver import Solver

from alignlab.errors import UnknownTaskError


@dataclass(frozen=True)
class Example:
    """One labelled training example: a prompt as the task renders it and its gold answer."""

    prompt: str
    answer: str


@dataclass(frozen=True)
class InterventionContext:
    """What an intervention may know about the task it runs in.

    ``examples(k, seed)`` returns ``k`` labelled examples from the family's
    training split (never the items being scored), or is None where the task
    has no training split.
    """

    task: str
    family: str
    examples: Callable[[int, int], list[Example]] | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class InterventionSpec:
    """A parsed ``NAME[:key=value,...]``."""

    name: str
    args: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}:" + ",".join(f"{k}={v}" for k, v in self.args.items())


Factory = Callable[[Mapping[str, str], InterventionContext], Sequence[Solver]]
_REGISTRY: dict[str, tuple[Factory, str]] = {}


def intervention(name: str, summary: str) -> Callable[[Factory], Factory]:
    """Register ``factory`` as the intervention ``name`` (``summary``: one line for ``--help``)."""

    def register(factory: Factory) -> Factory:
        _REGISTRY[name] = (factory, summary)
        return factory

    return register


def registered() -> dict[str, str]:
    """Intervention name -> one-line summary."""
    _load_builtins()
    return {name: summary for name, (_, summary) in sorted(_REGISTRY.items())}


def _load_builtins() -> None:
    """Import every module of this package: each registers its interventions (no list to keep)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def parse(text: str) -> InterventionSpec:
    """Parse ``NAME[:key=value,...]``.

    Raises:
        UnknownTaskError: empty name, a malformed pair, or an unknown name.
    """
    name, _, rest = text.strip().partition(":")
    name = name.strip()
    if not name:
        raise UnknownTaskError(f"Empty intervention in '{text}'; write NAME[:key=value,...]")
    args: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UnknownTaskError(
                f"Intervention '{text}': expected key=value after ':', got '{pair}'"
            )
        args[key.strip()] = value.strip()
    _load_builtins()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownTaskError(f"Unknown intervention '{name}'. Known interventions: {known}.")
    return InterventionSpec(name, args)


def normalise(value: str | Sequence[str] | None) -> list[str]:
    """The intervention specs a task option holds, as canonical strings (``[]`` for none).

    Accepts one string (``"a;b"`` chains two), a list of strings, or None.
    """
    if value is None or value == "" or value == "none":
        return []
    items = value.split(";") if isinstance(value, str) else list(value)
    return [str(parse(item)) for item in items if str(item).strip()]


def build(value: str | Sequence[str] | None, context: InterventionContext) -> list[Solver]:
    """The solvers of the interventions named by ``value``, in order.

    Raises:
        UnknownTaskError: an unknown intervention, or arguments it refuses.
    """
    solvers: list[Solver] = []
    for text in normalise(value):
        spec = parse(text)
        factory = _REGISTRY[spec.name][0]
        solvers.extend(factory(spec.args, context))
    return solvers


def label(value: str | Sequence[str] | None) -> str:
    """How reports name a run's interventions: ``none`` or the specs joined by ``+``."""
    specs = value if isinstance(value, list | tuple) else normalise(value)
    return "+".join(str(s) for s in specs) or "none"


def require(args: Mapping[str, str], allowed: Sequence[str], name: str) -> None:
    """Refuse arguments an intervention does not take, naming the ones it does.

    Raises:
        UnknownTaskError: an argument outside ``allowed``.
    """
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "no arguments"
        raise UnknownTaskError(
            f"Intervention '{name}' does not take {', '.join(unknown)}; it takes {takes}."
        )


def to_int(args: Mapping[str, str], key: str, default: int, name: str) -> int:
    """An integer argument of an intervention.

    Raises:
        UnknownTaskError: the value is not an integer.
    """
    raw = args.get(key)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise UnknownTaskError(
            f"Intervention '{name}': {key} must be an integer, got '{raw}'"
        ) from None


__all__ = [
    "Example",
    "InterventionContext",
    "InterventionSpec",
    "build",
    "intervention",
    "label",
    "normalise",
    "parse",
    "registered",
    "require",
    "to_int",
]
