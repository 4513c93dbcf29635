"""What family tasks share: the common options, limits, prompt templates, forced-choice tasks.

Every task takes the same options (``variant``, ``data_dir``, ``limit``,
``seed``, ``scoring``, ``calibration``, ...); checking them here makes every
task refuse a bad value in the same words, and building the forced-choice
judgment tasks here keeps the eval metadata the reports read in one layout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import Solver

from alignlab import interventions
from alignlab.errors import UnknownTaskError
from alignlab.scorers.forced_choice import (
    Calibration,
    ScoringMethod,
    forced_choice,
    forced_choice_scorer,
)

T = TypeVar("T")

SCORING_METHODS: tuple[str, ...] = get_args(ScoringMethod)
OPTION_NAMES = (
    "variant",
    "data_dir",
    "split",
    "limit",
    "seed",
    "scoring",
    "calibration",
    "intervention",
)
CALIBRATIONS: tuple[str, ...] = get_args(Calibration)


@dataclass(frozen=True)
class TaskOptions:
    """The options every alignlab task takes, spelled the same everywhere.

    ``intervention`` holds the canonical spec strings (see
    :mod:`alignlab.interventions`); ``seed`` reorders or resamples wherever a
    task draws at random (each task documents what it changes).
    """

    variant: str = "paper"
    data_dir: str | None = None
    split: str = "test"
    limit: int | None = None
    seed: int = 0
    scoring: ScoringMethod = "auto"
    calibration: Calibration = "none"
    intervention: tuple[str, ...] = field(default=())

    @staticmethod
    def of(
        task: str,
        args: Mapping[str, Any],
        *,
        variants: Sequence[str],
        splits: Sequence[str] | None = None,
        **overrides: Any,
    ) -> TaskOptions:
        """:meth:`checked` on the shared options found in ``args`` (a task's ``locals()``).

        A ``@task`` function lists the options in its signature (Inspect records
        them); this reads them back by name so no call spells ``variant=variant``
        eight times. ``overrides`` win over ``args``.
        """
        values = {k: args[k] for k in OPTION_NAMES if k in args}
        return TaskOptions.checked(
            task, variants=variants, splits=splits, **{**values, **overrides}
        )

    @staticmethod
    def checked(
        task: str,
        *,
        variants: Sequence[str],
        splits: Sequence[str] | None = None,
        variant: str = "paper",
        data_dir: str | None = None,
        split: str = "test",
        limit: int | None = None,
        seed: int = 0,
        scoring: str = "auto",
        calibration: str = "none",
        intervention: str | Sequence[str] | None = None,
    ) -> TaskOptions:
        """Validated options of ``task``; every refusal names the option and what it accepts.

        Raises:
            UnknownTaskError: a value outside what the option accepts.
        """
        check_variant(variant, variants, task)
        if splits is not None and split not in splits:
            raise UnknownTaskError(
                f"Unknown split '{split}' for {task}; use one of {', '.join(splits)}"
            )
        check_option("scoring", scoring, SCORING_METHODS)
        check_option("calibration", calibration, CALIBRATIONS)
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise UnknownTaskError(f"limit must be a positive integer, got {limit!r}")
        if not isinstance(seed, int):
            raise UnknownTaskError(f"seed must be an integer, got {seed!r}")
        return TaskOptions(
            variant=variant,
            data_dir=None if data_dir is None else str(data_dir),
            split=split,
            limit=limit,
            seed=seed,
            scoring=scoring,  # type: ignore[arg-type]
            calibration=calibration,  # type: ignore[arg-type]
            intervention=tuple(interventions.normalise(intervention)),
        )

    @property
    def intervention_label(self) -> str:
        """``none``, or the interventions joined by ``+`` (what report rows show)."""
        return interventions.label(list(self.intervention))

    def solvers(self, context: interventions.InterventionContext) -> list[Solver]:
        """The intervention solvers to run before the task's answering step."""
        return interventions.build(list(self.intervention), context)


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
    intervention: tuple[str, ...] = ()

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
            "intervention": interventions.label(list(self.intervention)),
            **more,
        }


def forced_choice_task(
    name: str,
    dataset: str,
    samples: list[Sample],
    run: ChoiceRun,
    before: Sequence[Solver] = (),
    **metadata: Any,
) -> Task:
    """A task answered by the shared forced-choice solver and scored by its scorer.

    ``name`` is the task name the logs and the report key on; ``dataset``
    names the data read (subset and split); ``before`` are the intervention
    solvers run ahead of the answer (and on the content-free prompt);
    ``metadata`` is logged after the run's own fields.
    """
    return Task(
        dataset=MemoryDataset(samples, name=dataset),
        solver=[*before, forced_choice(scoring=run.scoring, before=list(before))],
        scorer=forced_choice_scorer(calibration=run.calibration),
        name=name,
        metadata=run.metadata(**metadata),
    )


def asked(sample: Sample) -> tuple[str, str]:
    """A sample as a training example: (its prompt, its gold answer)."""
    return str(sample.input), str(sample.target)


def training_examples(
    load: Callable[[], Sequence[T]],
    render: Callable[[T], tuple[str, str]],
    task_seed: int = 0,
) -> Callable[[int, int], list[interventions.Example]]:
    """``examples(k, seed)`` for :class:`~alignlab.interventions.InterventionContext`.

    ``load`` reads the family's training split (called on the first draw, so
    a run without ``fewshot`` never reads it); ``render`` gives an item's
    (prompt, gold answer) as the task asks it. The draw is ``k`` items without
    replacement, by the intervention's ``seed`` and, when it is not 0, the
    task's ``seed`` too.
    """
    import random

    def examples(k: int, seed: int) -> list[interventions.Example]:
        pool = list(load())
        rng = random.Random(seed if task_seed == 0 else f"{task_seed}:{seed}")
        chosen = rng.sample(pool, min(k, len(pool)))
        return [interventions.Example(*render(item)) for item in chosen]

    return examples
