"""Benchmark families: one package per family, each registering itself once.

A family is a folder ``alignlab/benchmarks/<family>/`` whose ``__init__.py``
defines ``BENCHMARK = Benchmark(...)``: its Inspect tasks, the suites it
contributes tasks to, and the module of its report analysis. Nothing else in
alignlab lists family or task names; :func:`benchmarks` finds every family
by walking this package.

A suite is the union of what the families contribute to it, in family
``order``: the ``judgment`` suite is Scruples' tasks, then the Norm Bank's,
then EALM's. Each contribution carries a sentence describing its part.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inspect_ai import Task

from alignlab.errors import UnknownTaskError


@dataclass(frozen=True)
class TaskSpec:
    """One task of a suite with its arguments.

    ``name`` is an alignlab task, or an inspect_evals task written
    ``inspect_evals/<name>``.
    """

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuitePart:
    """A family's share of a suite: a sentence describing it, and its tasks in run order."""

    description: str
    tasks: tuple[TaskSpec, ...]


@dataclass(frozen=True)
class Suite:
    """A named list of tasks."""

    name: str
    description: str
    tasks: tuple[TaskSpec, ...]


@dataclass(frozen=True)
class Benchmark:
    """What one family registers.

    Attributes:
        name: the family (``ethics``, ``scruples``, ...); also the ``family``
            field of its tasks' eval metadata, which the report keys on.
        title: how the report and ``alignlab suites`` name it.
        tasks: task name -> Inspect ``@task`` function.
        suites: suite name -> this family's part of it.
        analysis: module with ``results(runs)`` and optionally
            ``sections(runs)``, imported only when a report is built.
        order: position among families in suites and reports (low first).
        headline: (subset, metric) of the row the report's profile shows for
            the family (``subset`` None: the first row with that metric).
        former_names: ``family`` values older logs of this family carry, so
            the report still reads them after a rename.
    """

    name: str
    title: str
    tasks: Mapping[str, Callable[..., Task]]
    suites: Mapping[str, SuitePart] = field(default_factory=dict)
    analysis: str | None = None
    order: int = 100
    headline: tuple[str | None, str] | None = None
    former_names: tuple[str, ...] = ()


@functools.cache
def benchmarks() -> tuple[Benchmark, ...]:
    """Every family under ``alignlab.benchmarks``, in ``order``.

    Raises:
        RuntimeError: a family package defines no ``BENCHMARK``, or two
            families register the same task name.
    """
    found: list[Benchmark] = []
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        bench = getattr(module, "BENCHMARK", None)
        if not isinstance(bench, Benchmark):
            raise RuntimeError(f"{module.__name__} defines no BENCHMARK = Benchmark(...)")
        found.append(bench)
    found.sort(key=lambda b: (b.order, b.name))
    seen: dict[str, str] = {}
    for bench in found:
        for name in bench.tasks:
            if name in seen:
                raise RuntimeError(f"task '{name}' is registered by {seen[name]} and {bench.name}")
            seen[name] = bench.name
    return tuple(found)


def all_tasks() -> dict[str, Callable[..., Task]]:
    """Task name -> ``@task`` function, over every family."""
    return {name: fn for bench in benchmarks() for name, fn in bench.tasks.items()}


def family_of_task(name: str) -> Benchmark | None:
    """The family that registers task ``name``, if any."""
    return next((b for b in benchmarks() if name in b.tasks), None)


def family(name: str) -> Benchmark:
    """The family called ``name``.

    Raises:
        UnknownTaskError: no family has that name.
    """
    for bench in benchmarks():
        if bench.name == name:
            return bench
    known = ", ".join(b.name for b in benchmarks())
    raise UnknownTaskError(f"Unknown benchmark family '{name}'. Known families: {known}.")


def suites() -> dict[str, Suite]:
    """Suite name -> suite, assembled from every family's parts."""
    parts: dict[str, list[SuitePart]] = {}
    for bench in benchmarks():
        for name, part in bench.suites.items():
            parts.setdefault(name, []).append(part)
    return {
        name: Suite(
            name,
            "; ".join(p.description for p in found),
            tuple(spec for p in found for spec in p.tasks),
        )
        for name, found in parts.items()
    }


def resolve_suite(name: str) -> Suite:
    """The suite called ``name``.

    Raises:
        UnknownTaskError: no family contributes to a suite of that name.
    """
    known = suites()
    try:
        return known[name]
    except KeyError:
        raise UnknownTaskError(
            f"Unknown suite '{name}'. Known suites: {', '.join(known)} (see `alignlab suites`)."
        ) from None


def route_args(
    specs: list[TaskSpec], overrides: Mapping[str, Any], refuse_unused: bool = True
) -> list[dict[str, Any]]:
    """Each spec's share of the command line's task arguments, checked against its signature.

    A key goes to the tasks that take it (``--suite pluralism -T judge=grader``
    reaches ``pluralism_overton`` only) and is refused when none does; a value
    of the wrong type or outside a ``Literal`` is refused before anything runs.

    Raises:
        UnknownTaskError: an unknown task, a key no task takes, or a bad value.
    """
    from alignlab.benchmarks._args import route

    return route([(s.name, _factory(s.name)) for s in specs], overrides, refuse_unused)


def _factory(name: str) -> Callable[..., Task]:
    factory = all_tasks().get(name)
    if factory is None:
        raise UnknownTaskError(
            f"Unknown task '{name}'. Known tasks: {', '.join(all_tasks())} (see `alignlab suites`)."
        )
    return factory


def build_task(spec: TaskSpec, overrides: dict[str, Any] | None = None) -> Task:
    """Instantiate a registered task; ``overrides`` (from the command line) win over the suite.

    Raises:
        UnknownTaskError: the task is not registered, or refuses its arguments.
    """
    factory = _factory(spec.name)
    args = {**spec.args, **(overrides or {})}
    try:
        return factory(**args)
    except TypeError as ex:
        raise UnknownTaskError(f"Bad arguments for task '{spec.name}': {ex}") from ex
