"""Options are checked before anything runs: one line, exit 2, the allowed values named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alignlab import cli, runner
from alignlab.benchmarks import TaskSpec, resolve_suite, route_args
from alignlab.errors import ModelError, UnknownTaskError


class NoEvalSet:
    """Stands in for ``inspect_ai.eval_set``: a check that lets anything through would call it."""

    calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[bool, list[Any]]:
        NoEvalSet.calls += 1
        return True, []


@pytest.fixture()
def no_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect_ai

    NoEvalSet.calls = 0
    monkeypatch.setattr(inspect_ai, "eval_set", NoEvalSet())


def _eval(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli.app, ["eval", *args, "--log-dir", str(tmp_path / "logs"), "--no-report"]
    )


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--task", "ethics_justice", "--limit", "0"], ["--limit", "greater than or equal to 1"]),
        (["--task", "ethics_justice", "--limit", "-3"], ["--limit", "greater than or equal to 1"]),
        (["--task", "ethics_justice", "--scoring", "bogus"], ["'bogus'", "'logprob'"]),
        (["--task", "ethics_justice", "--calibration", "bogus"], ["'contextual'"]),
        (["--task", "ethics_justice", "--display", "fancy"], ["'plain'"]),
        (
            ["--task", "scruples_anecdotes", "-T", "binarize=maybe"],
            ["binarize must be true or false", "'maybe'"],
        ),
        (["--task", "ethics_justice", "-T", "limit=-3"], ["limit must be a positive integer"]),
        (["--task", "litmus_dilemmas", "-T", "na=sometimes"], ["na must be one of paper, skip"]),
        (["--task", "ethics_justice", "-T", "nosuch=1"], ["ethics_justice does not take it"]),
        (["--suite", "pluralism", "-T", "nosuch=1"], ["no task of this run takes it"]),
    ],
)
def test_bad_option_is_one_line_and_exit_2(
    tmp_path: Path, no_eval: None, args: list[str], needles: list[str]
) -> None:
    result = _eval(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if "rror" in line]
    assert len(error_lines) == 1, result.output
    for needle in needles:
        assert needle in error_lines[0], result.output
    assert NoEvalSet.calls == 0
    assert not (tmp_path / "logs").exists()


def test_help_lists_allowed_values() -> None:
    text = CliRunner().invoke(cli.app, ["eval", "--help"]).output
    assert "auto|logprob|generate|sample" in text
    assert "none|contextual" in text
    assert "full|conversation|rich|plain|log|none" in text
    assert "swapped" in text  # --variant names variants


def test_suite_task_arg_goes_to_the_tasks_that_take_it() -> None:
    specs = list(resolve_suite("pluralism").tasks)
    shares = route_args(specs, {"judge": "grader", "limit": 2})
    for spec, share in zip(specs, shares, strict=True):
        assert share["limit"] == 2
        assert ("judge" in share) == (spec.name in ("pluralism_overton", "mtt_detect", "worldview"))


def test_suite_calibration_skips_tasks_without_it() -> None:
    specs = [TaskSpec("ethics_justice"), TaskSpec("litmus_dilemmas")]
    shares = route_args(specs, {"calibration": "contextual"})
    assert shares == [{"calibration": "contextual"}, {}]


def test_numbers_become_text_where_text_is_taken() -> None:
    [share] = route_args([TaskSpec("ethics_justice")], {"variant": 2, "limit": 3})
    assert share == {"variant": "2", "limit": 3}
    [share] = route_args([TaskSpec("pluralism_distributional")], {"temperature": 1})
    assert share["temperature"] == 1.0 and isinstance(share["temperature"], float)


def test_bool_is_not_an_integer() -> None:
    with pytest.raises(UnknownTaskError, match="limit must be a positive integer"):
        route_args([TaskSpec("ethics_justice")], {"limit": True})


def test_suite_and_task_together_run_each_task_once() -> None:
    suite = list(resolve_suite("judgment").tasks)
    name = suite[0].name
    assert not suite[0].args  # a plain spec: the same as --task NAME
    specs = runner.task_specs("judgment", [name, "ethics_justice"])
    assert specs.count(TaskSpec(name)) == 1
    assert specs[-1] == TaskSpec("ethics_justice") and len(specs) == len(suite) + 1


def test_eval_with_neither_says_what_it_runs(
    tmp_path: Path, no_eval: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ModelError("stop here")

    monkeypatch.setattr(runner, "load_model", refuse)
    result = _eval(tmp_path)
    assert "No --suite or --task given: running the 'quick' suite" in result.output


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "ERROR: Unable to initialise\n\nNo [blue]OPENAI_API_KEY[/blue] defined.",
            "Unable to initialise No OPENAI_API_KEY defined.",
        ),
        ("Model API nosuch not recognized.", "Model API nosuch not recognized."),
        ("a [0.5, 1] range", "a [0.5, 1] range."),
    ],
)
def test_error_lines_are_plain_with_one_full_stop(message: str, expected: str) -> None:
    assert runner.plain_message(RuntimeError(message)) == expected


def test_suites_and_models_speak_to_users() -> None:
    suites = CliRunner().invoke(cli.app, ["suites"]).output
    assert "``" not in suites and "module docstring" not in suites
    assert "binarize=<true/false>" in suites and "na=paper|skip" in suites
    models = CliRunner().invoke(cli.app, ["models"]).output
    assert "alignlab models" not in models  # no pointer to itself
    assert "--model-role grader=MODEL" in models


def test_ctrl_c_says_how_to_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(**kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_eval", interrupted)
    monkeypatch.setattr("sys.argv", ["alignlab", "eval", "--task", "ethics_justice"])
    result = _eval(tmp_path, "--task", "ethics_justice")
    assert result.exit_code == 130
    assert "Re-run the same command to resume" in result.output
    assert "alignlab eval --task ethics_justice" in result.output
