"""``--model-role ROLE=MODEL``: parsing, checks, and the binding handed to Inspect's eval set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alignlab import runner
from alignlab.benchmarks import TaskSpec
from alignlab.cli import _parse_roles, app
from alignlab.errors import AlignlabError, ModelError
from fake_runner import FakeRunner, install

# --- parsing ----------------------------------------------------------------------------------


def test_roles_parse_to_model_strings() -> None:
    roles = _parse_roles(["grader=openai-api/local/qwen", " critic = alignlab/smollm2 "])
    assert roles == {"grader": "openai-api/local/qwen", "critic": "alignlab/smollm2"}


def test_model_strings_are_not_coerced_and_keep_later_equals_signs() -> None:
    assert _parse_roles(["grader=1", "judge=hf/x=y"]) == {"grader": "1", "judge": "hf/x=y"}


def test_no_roles() -> None:
    assert _parse_roles(None) == {} and _parse_roles([]) == {}


@pytest.mark.parametrize("pair", ["grader", "=alignlab/smollm2", "grader=", " = ", ""])
def test_malformed_role_is_one_clear_error(pair: str) -> None:
    with pytest.raises(AlignlabError, match="--model-role expects ROLE=MODEL") as info:
        _parse_roles([pair])
    assert f"got '{pair}'" in str(info.value) and "\n" not in str(info.value)


def test_role_bound_twice_is_an_error() -> None:
    with pytest.raises(AlignlabError, match="binds 'grader' twice"):
        _parse_roles(["grader=alignlab/smollm2", "grader =openai-api/local/q"])


# --- model checks -----------------------------------------------------------------------------


def test_unknown_alignlab_role_model_names_the_role() -> None:
    with pytest.raises(ModelError, match=r"^Model role 'grader': Unknown alignlab model 'nope'"):
        runner.load_model("alignlab/nope", None, {}, role="grader")


def test_unknown_provider_role_model_names_the_role() -> None:
    with pytest.raises(ModelError, match=r"^Model role 'grader': Cannot use model 'nosuch/x'"):
        runner.load_model("nosuch/x", None, {}, role="grader")


def test_unreachable_role_server_points_at_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A role has no --model-base-url: the fix is the variable its URL came from."""
    monkeypatch.setenv("LOCAL_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ModelError) as info:
        runner.load_model("openai-api/local/m", None, {}, role="grader")
    message = str(info.value)
    assert message.startswith("Model role 'grader': Cannot reach the model server at http://127")
    assert "set LOCAL_BASE_URL to a running one" in message
    assert "--model-base-url" not in message


def test_unreachable_main_server_still_points_at_the_option() -> None:
    with pytest.raises(ModelError, match="point --model-base-url at a running one") as info:
        runner.load_model("openai-api/local/m", "http://127.0.0.1:9/v1", {})
    assert "Model role" not in str(info.value)


@pytest.mark.parametrize(
    ("model", "variable"),
    [
        ("openai-api/local/m", "LOCAL_BASE_URL"),
        ("openai-api/my-box/m", "MY_BOX_BASE_URL"),
        ("openai-api/m", None),
        ("ollama/llama3", "OLLAMA_BASE_URL"),
        ("llama-cpp-python/m", "LLAMA_CPP_PYTHON_BASE_URL"),
        ("alignlab/smollm2", None),
    ],
)
def test_url_variable(model: str, variable: str | None) -> None:
    assert runner.url_variable(model) == variable


def test_role_models_get_no_base_url_and_no_model_args(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(runner, "load_model", lambda *args, **kw: calls.append((*args, kw)))
    runner.load_role_models({"grader": "openai-api/local/q"})
    assert calls == [("openai-api/local/q", None, {}, {"role": "grader"})]


# --- the unbound-grader warning ---------------------------------------------------------------


def test_warning_names_the_grader_tasks_once() -> None:
    specs = [
        TaskSpec("pluralism_overton", {"judge": "grader"}),
        TaskSpec("pluralism_overton", {"judge": "grader", "limit": 2}),
        TaskSpec("mtt_detect"),
        TaskSpec("ethics_justice"),
    ]
    warning = runner.unbound_grader_warning(specs, {}, {})
    assert warning is not None and warning.count("pluralism_overton") == 1
    assert "mtt_detect" not in warning and "--model-role grader=MODEL" in warning


def test_command_line_judge_wins_over_the_suite() -> None:
    specs = [TaskSpec("mtt_detect", {"judge": "grader"})]
    assert runner.unbound_grader_warning(specs, {"judge": "self"}, {}) is None
    warning = runner.unbound_grader_warning([TaskSpec("mtt_detect")], {"judge": "grader"}, {})
    assert warning is not None and "mtt_detect" in warning


def test_no_warning_with_a_grader_bound() -> None:
    specs = [TaskSpec("mtt_detect", {"judge": "grader"})]
    assert runner.unbound_grader_warning(specs, {}, {"grader": "alignlab/smollm2"}) is None


# --- run_eval hands the roles to eval_set -----------------------------------------------------


class FakeEvalSet:
    """Stands in for ``inspect_ai.eval_set``: records its arguments, runs nothing."""

    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def __call__(self, tasks: Any, **kwargs: Any) -> tuple[bool, list[Any]]:
        self.kwargs = kwargs
        return True, []


@pytest.fixture
def fake_eval_set(monkeypatch: pytest.MonkeyPatch) -> FakeEvalSet:
    import inspect_ai

    fake = FakeEvalSet()
    monkeypatch.setattr(inspect_ai, "eval_set", fake)

    def load_model(model: str, base_url: str | None, args: dict[str, Any], role: Any = None) -> Any:
        return (model, base_url, args, role)

    monkeypatch.setattr(runner, "load_model", load_model)
    return fake


def _run(tmp_path: Path, **kwargs: Any) -> None:
    runner.run_eval(tasks=["mtt_detect"], log_dir=tmp_path, limit=1, display="none", **kwargs)


def test_run_eval_binds_the_roles(tmp_path: Path, fake_eval_set: FakeEvalSet) -> None:
    _run(
        tmp_path,
        model="openai-api/local/m",
        base_url="http://h:1/v1",
        model_args={"n_ctx": 512},
        model_roles={"grader": "alignlab/smollm2"},
    )
    kwargs = fake_eval_set.kwargs
    assert kwargs["model"] == ("openai-api/local/m", "http://h:1/v1", {"n_ctx": 512}, None)
    assert kwargs["model_roles"] == {"grader": ("alignlab/smollm2", None, {}, "grader")}


def test_run_eval_without_roles_binds_none(tmp_path: Path, fake_eval_set: FakeEvalSet) -> None:
    _run(tmp_path)
    assert fake_eval_set.kwargs["model_roles"] is None


def test_run_eval_warns_once_without_a_grader(tmp_path: Path, fake_eval_set: FakeEvalSet) -> None:
    warnings: list[str] = []
    _run(tmp_path, task_args={"judge": "grader"}, warn=warnings.append)
    assert len(warnings) == 1 and "mtt_detect run with judge=grader" in warnings[0]
    warnings.clear()
    _run(
        tmp_path,
        task_args={"judge": "grader"},
        model_roles={"grader": "alignlab/smollm2"},
        warn=warnings.append,
    )
    assert warnings == []


def test_run_eval_warning_without_a_callback_is_a_python_warning(
    tmp_path: Path, fake_eval_set: FakeEvalSet
) -> None:
    with pytest.warns(UserWarning, match="no grader model is bound"):
        _run(tmp_path, task_args={"judge": "grader"})


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    return install(monkeypatch)


def _eval(log_dir: Path, *args: str) -> Any:
    argv = ["eval", "--task", "mtt_detect", "--no-report", "--log-dir", str(log_dir), *args]
    return CliRunner().invoke(app, argv)


def test_cli_passes_the_roles(tmp_path: Path, fake_runner: FakeRunner) -> None:
    result = _eval(tmp_path, "--model-role", "grader=alignlab/smollm2")
    assert result.exit_code == 0, result.output
    assert fake_runner.calls[0]["model_roles"] == {"grader": "alignlab/smollm2"}


def test_cli_another_grader_is_another_run(tmp_path: Path, fake_runner: FakeRunner) -> None:
    assert _eval(tmp_path, "--model-role", "grader=alignlab/smollm2").exit_code == 0
    replay = _eval(tmp_path, "--model-role", "grader=alignlab/smollm2")
    assert "already complete" in replay.stdout and len(fake_runner.calls) == 1
    other = _eval(tmp_path, "--model-role", "grader=openai-api/local/q")
    assert "already complete" not in other.stdout and len(fake_runner.calls) == 2


def test_cli_malformed_role_fails_before_running(tmp_path: Path, fake_runner: FakeRunner) -> None:
    result = _eval(tmp_path, "--model-role", "grader")
    assert result.exit_code == 2 and fake_runner.calls == []
    assert result.stderr == (
        "error: --model-role expects ROLE=MODEL (e.g. grader=openai-api/local/qwen), got 'grader'\n"
    )


def test_cli_prints_the_runner_warning_on_stderr(tmp_path: Path, fake_runner: FakeRunner) -> None:
    result = _eval(tmp_path, "-T", "judge=grader")
    assert result.exit_code == 0
    assert result.stderr == "warning: no grader here\n"
    assert "warning" not in result.stdout


def test_models_and_help_mention_the_grader_role() -> None:
    models = CliRunner().invoke(app, ["models"])
    assert "--model-role grader=" in models.stdout
    help_text = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--model-role" in help_text
