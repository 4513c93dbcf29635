"""``--model-role`` end to end: the grader is bound in the eval log, bad roles fail cleanly."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from inspect_ai.log import read_eval_log

from cli_runs import alignlab_eval

_alignlab_eval = partial(alignlab_eval, timeout=300)


def test_grader_role_is_bound_in_the_log(tmp_path: Path) -> None:
    """mtt_detect, judge=grader: the cheapest task that asks the grader (2 scenarios, 4 asks)."""
    proc = _alignlab_eval(
        "mtt_detect",
        tmp_path,
        "-T",
        "judge=grader",
        "--limit",
        "2",
        "--display",
        "none",
        "--no-report",
        "--model-role",
        "grader=alignlab/smollm2",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "no grader model is bound" not in proc.stderr
    [path] = tmp_path.glob("*.eval")
    log = read_eval_log(str(path))
    assert log.status == "success"
    roles = log.eval.model_roles or {}
    assert set(roles) == {"grader"}
    grader = roles["grader"]
    assert not isinstance(grader, list) and grader.model == "alignlab/smollm2"
    assert log.samples and len(log.samples) == 4
    calls = [e for s in log.samples for e in s.events if e.event == "model"]
    assert calls and all(getattr(e, "role", None) == "grader" for e in calls)


def test_malformed_model_role(tmp_path: Path) -> None:
    proc = _alignlab_eval("mtt_detect", tmp_path, "--model-role", "grader")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip() == (
        "error: --model-role expects ROLE=MODEL (e.g. grader=openai-api/local/qwen), got 'grader'"
    )


def test_unknown_role_model_names_the_role(tmp_path: Path) -> None:
    proc = _alignlab_eval(
        "mtt_detect", tmp_path, "--limit", "1", "--model-role", "grader=alignlab/nope"
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "Traceback" not in output
    assert "error: Model role 'grader': Unknown alignlab model 'nope'" in proc.stderr
    assert not list(tmp_path.glob("*.eval"))
