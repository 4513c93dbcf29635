"""Running tasks against Inspect's mock model, shared by the tests.

Tests import it as ``mock_runs`` (``tests/`` is on ``sys.path``, see ``mock_outputs``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, ModelOutput, get_model

from alignlab.report.results import MetricResult


def eval_mock(
    tasks: Task | Sequence[Task], outputs: Any, log_dir: Path | str, model: str = "mockllm/model"
) -> list[EvalLog]:
    """Evaluate ``tasks`` on the mock ``model`` answering ``outputs`` (Inspect's custom_outputs).

    With ``outputs=None``, ``model`` answers itself (the bundled model). Asserts that every run
    succeeded.
    """
    model_args = {} if outputs is None else {"custom_outputs": outputs}
    logs = eval(
        tasks,  # type: ignore[arg-type]
        model=get_model(model, **model_args),
        log_dir=str(log_dir),
        display="none",
    )
    assert all(log.status == "success" for log in logs), [log.error for log in logs]
    return logs


def eval_one(
    task: Task, outputs: Any, log_dir: Path | str, model: str = "mockllm/model"
) -> EvalLog:
    """The one log of ``task`` evaluated on the mock model (see ``eval_mock``)."""
    [log] = eval_mock(task, outputs, log_dir, model)
    return log


def by_last_message(reply: Callable[[str], ModelOutput]) -> Callable[..., ModelOutput]:
    """Mock outputs chosen by ``reply(text of the last message)``."""

    def outputs(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        return reply(messages[-1].text)

    return outputs


def rows_by(rows: list[MetricResult], **match: str) -> dict[tuple[str, str], MetricResult]:
    """Rows whose fields equal ``match``, keyed by (metric, subset)."""
    return {
        (r.metric, r.subset): r
        for r in rows
        if all(getattr(r, key) == value for key, value in match.items())
    }


def run_commonsense(model: str, log_dir: Path, scoring: str, **kwargs: Any) -> EvalLog:
    """ETHICS commonsense on 4 items through alignlab's runner; the run's log, read back.

    ``kwargs`` go to :func:`alignlab.runner.run_eval` (``base_url`` for a server).
    """
    from inspect_ai.log import read_eval_log

    from alignlab.runner import run_eval

    outcome = run_eval(
        model=model,
        tasks=["ethics_commonsense"],
        limit=4,
        task_args={"scoring": scoring},
        log_dir=log_dir,
        display="none",
        **kwargs,
    )
    assert outcome.success
    return read_eval_log(outcome.log_files[0])
