"""The options every task shares: one validation, one spelling of each refusal."""

from __future__ import annotations

import pytest

from alignlab.benchmarks._common import ChoiceRun, TaskOptions
from alignlab.errors import UnknownTaskError


def test_defaults_and_normalised_interventions() -> None:
    options = TaskOptions.checked("t", variants=("paper",))
    assert options == TaskOptions()
    assert options.intervention == () and options.intervention_label == "none"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"variant": "odd"}, "Unknown prompt variant 'odd' for t; use paper"),
        ({"split": "dev"}, "Unknown split 'dev' for t; use one of test, train"),
        ({"scoring": "vibes"}, "scoring must be 'auto' or 'logprob' or 'generate'"),
        ({"calibration": "yes"}, "calibration must be 'none' or 'contextual'"),
        ({"limit": 0}, "limit must be a positive integer, got 0"),
        ({"seed": "x"}, "seed must be an integer"),
        ({"intervention": "nosuch"}, "Unknown intervention 'nosuch'"),
        ({"intervention": ":k=v"}, "Empty intervention"),
    ],
)
def test_bad_values_are_refused_naming_the_option(args: dict[str, object], message: str) -> None:
    with pytest.raises(UnknownTaskError, match=message.replace("(", r"\(")):
        TaskOptions.checked("t", variants=("paper",), splits=("test", "train"), **args)  # type: ignore[arg-type]


def test_choice_run_logs_its_intervention_label() -> None:
    run = ChoiceRun("fam", "sub", "paper", "test", None, "auto", "none")
    assert run.metadata()["intervention"] == "none"
    assert run.metadata()["data"] == "bundled"
