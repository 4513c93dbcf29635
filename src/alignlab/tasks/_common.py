"""What the Inspect tasks share: option checks, limits, prompt templates, forced-choice assembly.

Every task takes the same options (``variant``, ``data_dir``, ``limit``,
``seed``, ``scoring``, ``calibration``, ...); checking them here makes every
task refuse a bad value in the same words, and building the forced-choice
judgment tasks here keeps the eval metadata the reports read in one layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample

from alignlab.errors import UnknownTaskError
from alignlab.scorers.forced_choice import (
    Calibration,
    ScoringMethod,
    forced_choice,
    forced_choice_scorer,
)

T = TypeVar("T")


def check_variant(variant: str, known: Sequence[str], task: str) -> None:
    """Refuse a prompt variant that ``task`` does not have, naming the ones it has.

    Raises:
        UnknownTaskError: ``variant`` is not in ``known``.
    """
    if variant not in known:
        use = f"one of {', '.join(known)}" if len(known) > 1 else known[0]
        raise UnknownTaskError(f"Unknown prompt variant '{variant}' for {task}; use {use}")


def check_option(name: str, value: object, allowed: Sequence[str]) -> None:
    """Refuse a value of a task option (``judge``, ``jurors``, ...) outside ``allowed``.

    Raises:
        UnknownTaskError: ``value`` is not in ``allowed``.
    """
    if value not in allowed:
        words = " or ".join(f"'{a}'" for a in allowed)
        raise UnknownTaskError(f"{name} must be {words}, got {value!r}")


def whole_groups(items: list[T], limit: int | None, size: int = 1) -> list[T]:
    """The first ``limit`` items, rounded down to whole groups of ``size``; at least one group.

    Scores computed over a group (exact match over a contrast group, a pair
    asked in both orders) mean nothing for a cut group, and a limit below one
    group would leave nothing to score.
    """
    if limit is None:
        return items
    return items[: max(size, (limit // size) * size)]


@dataclass(frozen=True)
class PromptTemplate:
    """A forced-choice prompt with ``{field}`` slots and its answer words.

    ``flip``: the question is asked in reverse (binary choices), so the gold
    answer is the other one; a model that always gives the same answer word
    cannot look good under both wordings.
    """

    text: str
    choices: tuple[str, ...]
    flip: bool = False

    def render(self, values: Mapping[str, str], truth: int) -> tuple[str, str, int]:
        """(prompt, content-free prompt, gold choice index) for one item.

        The content-free prompt fills every slot with "N/A", for contextual
        calibration.
        """
        gold = 1 - truth if self.flip else truth
        content_free = self.text.format(**{k: "N/A" for k in values})
        return self.text.format(**values), content_free, gold

    def sample(
        self, sample_id: str, values: Mapping[str, str], truth: int, metadata: Mapping[str, Any]
    ) -> Sample:
        """An Inspect sample for one item: the rendered prompt, the gold answer word, and
        ``metadata`` plus the choices and the content-free prompt the scorer reads."""
        prompt, content_free, gold = self.render(values, truth)
        return Sample(
            id=sample_id,
            input=prompt,
            target=self.choices[gold],
            metadata={**metadata, "choices": list(self.choices), "content_free": content_free},
        )


@dataclass(frozen=True)
class ChoiceRun:
    """One forced-choice judgment run: which data, under which options.

    The report groups and labels the logs of the ETHICS, Norm Bank and EALM
    tasks by these fields, so they are logged in one layout (see
    :meth:`metadata`).
    """

    family: str
    subset: str
    variant: str
    split: str
    data_dir: str | None
    scoring: ScoringMethod
    calibration: Calibration

    def metadata(self, **more: Any) -> dict[str, Any]:
        """The eval metadata: the run's fields (``data``: a folder or "bundled"), then ``more``."""
        return {
            "family": self.family,
            "subset": self.subset,
            "variant": self.variant,
            "split": self.split,
            "calibration": self.calibration,
            "scoring": self.scoring,
            "data": self.data_dir or "bundled",
            **more,
        }


def forced_choice_task(
    name: str, dataset: str, samples: list[Sample], run: ChoiceRun, **metadata: Any
) -> Task:
    """A task answered by the shared forced-choice solver and scored by its scorer.

    ``name`` is the task name the logs and the report key on; ``dataset``
    names the data read (subset and split); ``metadata`` is logged after the
    run's own fields.
    """
    return Task(
        dataset=MemoryDataset(samples, name=dataset),
        solver=forced_choice(scoring=run.scoring),
        scorer=forced_choice_scorer(calibration=run.calibration),
        name=name,
        metadata=run.metadata(**metadata),
    )
