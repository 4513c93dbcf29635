"""Inspect entry point (``[project.entry-points.inspect_ai] alignlab``).

Inspect imports this module the first time it looks up a name in the
``alignlab/`` namespace (``--model alignlab/smollm2``,
``inspect eval alignlab/ethics_commonsense``) and at the start of every eval.
Importing it registers, with Inspect's registry:

- the ``alignlab`` model provider (bundled or local GGUF models run
  in-process with llama.cpp) and the ``alignlab-hf`` one (transformers
  checkpoints in-process; ``alignlab eval --model hf/...`` uses it);
- every alignlab task as ``alignlab/<task>``: importing the families'
  ``@task`` functions (:func:`alignlab.benchmarks.all_tasks`) registers
  each under its function name in the installed package's namespace, and a
  task registered under another name gets that name as an alias, so
  ``inspect eval alignlab/<task>`` runs the task ``alignlab eval --task
  <task>`` runs, with the same defaults.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from inspect_ai.model import modelapi

NAMESPACE = "alignlab"


@modelapi(name="alignlab")
def alignlab_provider() -> type:
    from alignlab.models.provider import LlamaCppInProcessAPI

    return LlamaCppInProcessAPI


@modelapi(name="alignlab-hf")
def alignlab_hf_provider() -> type:
    from alignlab.models.hf_provider import HuggingFaceInProcessAPI

    return HuggingFaceInProcessAPI


@modelapi(name="alignlab-pool")
def alignlab_pool_provider() -> type:
    from alignlab.models.pool import EndpointPoolAPI

    return EndpointPoolAPI


def register_tasks() -> list[str]:
    """Make every alignlab task resolvable as ``alignlab/<task>``; returns the names added."""
    from inspect_ai._eval.registry import task_register
    from inspect_ai._util.registry import registry_has

    from alignlab.benchmarks import all_tasks

    added: list[str] = []
    for name, factory in all_tasks().items():
        qualified = f"{NAMESPACE}/{name}"
        if registry_has("task", qualified):
            continue
        task_register(
            task=_alias(factory),
            name=qualified,
            attribs={},
            params=list(inspect.signature(factory).parameters),
        )
        added.append(qualified)
    return added


def _alias(factory: Callable[..., Any]) -> Callable[..., Any]:
    """A new callable for ``factory``: registering tags the object, and the task keeps its tag."""

    def alias(*args: Any, **kwargs: Any) -> Any:
        return factory(*args, **kwargs)

    alias.__signature__ = inspect.signature(factory)  # type: ignore[attr-defined]
    alias.__doc__ = factory.__doc__
    return alias


def _register_quietly() -> Any:
    """Register the tasks; a broken family must not break unrelated Inspect runs."""
    import logging

    try:
        return register_tasks()
    except Exception as ex:  # reported by Inspect's logger, as entry-point failures are
        logging.getLogger(__name__).warning(f"alignlab tasks not registered with Inspect: {ex}")
        return []


_register_quietly()
