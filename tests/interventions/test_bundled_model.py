"""The three interventions on the real bundled model (SmolLM2-135M), four ETHICS items each.

``reason`` generates on every item and on the content-free prompt, which takes
minutes on a busy CPU, so its tests are marked slow.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.log import EvalLog

from alignlab import interventions
from alignlab.benchmarks._common import ChoiceRun, forced_choice_task
from alignlab.benchmarks.ethics.tasks import ethics_samples
from alignlab.interventions import Example, InterventionContext
from alignlab.interventions.principles import bundled_constitutions
from alignlab.models.bundled import DEFAULT_MODEL

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ethics_public"
SPECS = {
    "none": None,
    "principles": "principles:constitution=care",
    "fewshot": "fewshot:k=2",
}
REASON = "reason:theory=justice,max_tokens=24"


def _examples(k: int, seed: int) -> list[Example]:
    # Stand-in for a train split: the public-format fixture, never the bundled items scored.
    samples = ethics_samples("commonsense", data_dir=str(FIXTURE), limit=k)
    return [Example(str(s.input), str(s.target)) for s in samples[:k]]


def _eval(specs: dict[str, str | None], log_dir: Path) -> dict[str, EvalLog]:
    context = InterventionContext("ethics_commonsense", "ethics", _examples, ("no", "yes"))
    tasks = []
    for name, spec in specs.items():
        run = ChoiceRun(
            "ethics", "commonsense", "paper", "test", None, "auto", "contextual",
            tuple(interventions.normalise(spec)),
        )  # fmt: skip
        samples = ethics_samples("commonsense", limit=4)
        before = interventions.build(spec, context)
        tasks.append(forced_choice_task(f"ethics_{name}", "bundled", samples, run, before=before))
    out = eval(tasks, model=DEFAULT_MODEL, display="none", log_dir=str(log_dir))
    return {log.eval.task.removeprefix("ethics_"): log for log in out}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EvalLog]:
    return _eval(SPECS, tmp_path_factory.mktemp("logs"))


@pytest.fixture(scope="module")
def reason_log(tmp_path_factory: pytest.TempPathFactory) -> EvalLog:
    return _eval({"reason": REASON}, tmp_path_factory.mktemp("reason"))["reason"]


def _scores(log: EvalLog) -> list[dict]:
    assert log.status == "success", log.error
    assert log.samples is not None and len(log.samples) == 4
    metadata = [s.scores["forced_choice_scorer"].metadata for s in log.samples]  # type: ignore[index]
    assert all(m is not None and m["method"] == "logprob" for m in metadata)
    assert all(m["calibration_fallback"] is False for m in metadata)  # type: ignore[index]
    return metadata  # type: ignore[return-value]


def test_every_intervention_runs_and_is_scored_by_logprob(logs: dict[str, EvalLog]) -> None:
    for name, log in logs.items():
        _scores(log)
        assert log.eval.metadata["intervention"] == (SPECS[name] or "none")  # type: ignore[index]


def test_content_free_calibration_sees_the_intervention(logs: dict[str, EvalLog]) -> None:
    # The content-free prompt's scores change with what the intervention adds.
    baseline = _scores(logs["none"])[0]["cf_logprobs"]
    for name in ("principles", "fewshot"):
        assert _scores(logs[name])[0]["cf_logprobs"] != pytest.approx(baseline), name


def test_principles_system_prompt(logs: dict[str, EvalLog]) -> None:
    sample = logs["principles"].samples[0]  # type: ignore[index]
    assert sample.messages[0].role == "system"
    assert sample.messages[0].text == bundled_constitutions()["care"]


def test_fewshot_turns_precede_the_item(logs: dict[str, EvalLog]) -> None:
    sample = logs["fewshot"].samples[0]  # type: ignore[index]
    roles = [m.role for m in sample.messages]
    assert roles == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert sample.messages[0].text == _examples(2, 0)[0].prompt


@pytest.mark.slow
def test_reason_answers_after_its_reasoning(reason_log: EvalLog, logs: dict[str, EvalLog]) -> None:
    scores = _scores(reason_log)
    assert reason_log.samples is not None
    for sample in reason_log.samples:
        roles = [m.role for m in sample.messages]
        assert roles == ["user", "assistant", "user", "assistant"]
        assert sample.messages[1].text.strip()  # the reasoning
        assert sample.messages[2].text.endswith("Answer:")
    # The content-free prompt was reasoned about too before it was scored.
    assert scores[0]["cf_logprobs"] != pytest.approx(_scores(logs["none"])[0]["cf_logprobs"])
