"""``alignlab eval --intervention`` and ``alignlab interventions``.

The CLI runs against a stand-in runner (``fake_runner``): these tests check
what reaches the tasks, what fails before anything runs, and that the run
key tells runs with and without an intervention apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alignlab import interventions
from alignlab.cli import app
from fake_runner import FakeRunner, install


@pytest.fixture(autouse=True)
def demo_interventions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two interventions registered for the test only, beside the bundled ones."""
    interventions.registered()  # the bundled ones first, so the saved registry holds them
    saved = dict(interventions._REGISTRY)

    def nothing(args: Mapping[str, str], context: interventions.InterventionContext) -> list[Any]:
        return []

    interventions.intervention("demo_one", "the first test intervention")(nothing)
    interventions.intervention("demo_two", "the second test intervention")(nothing)
    yield
    interventions._REGISTRY.clear()
    interventions._REGISTRY.update(saved)


@pytest.fixture
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    from alignlab import cli

    fake = install(monkeypatch)

    def write_report(log_dir: Path, output: Path) -> Path:
        output.write_text(f"<html>{len(fake.calls)}</html>")
        return output

    monkeypatch.setattr(cli, "_write_report", write_report)
    return fake


def _eval(log_dir: Path, *args: str) -> Any:
    argv = ["eval", "--task", "ethics_commonsense", "--limit", "2", "--log-dir", str(log_dir)]
    return CliRunner().invoke(app, [*argv, *args])


def test_interventions_command_lists_the_registered_ones() -> None:
    result = CliRunner().invoke(app, ["interventions"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("demo_one" in line and "the first test intervention" in line for line in lines)
    assert any("demo_two" in line and "the second test intervention" in line for line in lines)
    for name in interventions.registered():
        assert name in result.stdout
    assert "--intervention NAME[:key=value,...]" in result.stdout


def test_intervention_reaches_every_task_canonical_and_in_order(
    tmp_path: Path, fake_runner: FakeRunner
) -> None:
    result = _eval(
        tmp_path, "--intervention", " demo_two : b = 2 , a=1", "--intervention", "demo_one"
    )
    assert result.exit_code == 0, result.output
    assert fake_runner.calls[0]["task_args"]["intervention"] == ["demo_two:b=2,a=1", "demo_one"]


def test_task_argument_spelling_is_the_same_request(
    tmp_path: Path, fake_runner: FakeRunner
) -> None:
    assert (
        _eval(tmp_path, "--intervention", "demo_one", "--intervention", "demo_two").exit_code == 0
    )
    replay = _eval(tmp_path, "-T", "intervention=demo_one;demo_two")
    assert replay.exit_code == 0 and "already complete" in replay.stdout
    assert len(fake_runner.calls) == 1


def test_intervention_none_is_the_plain_run(tmp_path: Path, fake_runner: FakeRunner) -> None:
    assert _eval(tmp_path, "--intervention", "none").exit_code == 0
    assert "intervention" not in fake_runner.calls[0]["task_args"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("demo_onee", "Unknown intervention 'demo_onee'"),
        ("demo_one:k", "expected key=value"),
        (":k=1", "Empty intervention"),
    ],
)
def test_bad_intervention_fails_at_once(
    tmp_path: Path, fake_runner: FakeRunner, spec: str, message: str
) -> None:
    result = _eval(tmp_path, "--intervention", spec)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert fake_runner.calls == []


def test_bad_intervention_fails_before_the_fast_path(
    tmp_path: Path, fake_runner: FakeRunner
) -> None:
    assert _eval(tmp_path).exit_code == 0
    result = _eval(tmp_path, "-T", "intervention=demo_onee")
    assert result.exit_code == 2 and "Unknown intervention" in result.stderr
    assert "already complete" not in result.stdout


def test_run_without_intervention_is_not_replayed_for_one_with(
    tmp_path: Path, fake_runner: FakeRunner
) -> None:
    assert _eval(tmp_path).exit_code == 0
    with_one = _eval(tmp_path, "--intervention", "demo_one")
    assert with_one.exit_code == 0 and "already complete" not in with_one.stdout
    assert len(fake_runner.calls) == 2
    assert fake_runner.calls[1]["task_args"]["intervention"] == ["demo_one"]


def test_run_with_intervention_is_not_replayed_for_one_without(
    tmp_path: Path, fake_runner: FakeRunner
) -> None:
    assert _eval(tmp_path, "--intervention", "demo_one").exit_code == 0
    plain = _eval(tmp_path)
    assert plain.exit_code == 0 and "already complete" not in plain.stdout
    assert len(fake_runner.calls) == 2 and "intervention" not in fake_runner.calls[1]["task_args"]
    assert "already complete" in _eval(tmp_path).stdout  # the plain run replays itself
    assert len(fake_runner.calls) == 2


def test_other_arguments_or_order_are_another_run(tmp_path: Path, fake_runner: FakeRunner) -> None:
    assert _eval(tmp_path, "--intervention", "demo_one:k=1").exit_code == 0
    assert "already complete" not in _eval(tmp_path, "--intervention", "demo_one:k=2").stdout
    both = ("--intervention", "demo_one", "--intervention", "demo_two")
    swapped = ("--intervention", "demo_two", "--intervention", "demo_one")
    assert "already complete" not in _eval(tmp_path, *both).stdout
    assert "already complete" not in _eval(tmp_path, *swapped).stdout
    assert len(fake_runner.calls) == 4


def test_help_documents_the_option() -> None:
    result = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "200"})
    assert "--intervention" in result.stdout
