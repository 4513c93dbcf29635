"""Moral Turing Test tasks with Inspect's mock model, text features and the classifier baseline."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import EvalLog
from inspect_ai.model import (
    ChatMessage,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.scorer import Score

from alignlab.benchmarks.mtt.features import classifier_auc, text_features
from alignlab.benchmarks.mtt.tasks import (
    detect_samples,
    judgment_samples,
    mtt_detect,
    mtt_judgment,
)
from alignlab.errors import UnknownTaskError
from mock_outputs import probability_output
from mock_outputs import text_output as shared_text_output
from mock_runs import eval_one

FIXTURE = Path(__file__).parent / "fixtures" / "mtt_public"
USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)

logprob_output = partial(probability_output, usage=USAGE)
text_output = partial(shared_text_output, usage=USAGE)
SCORER = "moral_turing_scorer"


class Recorder:
    """Mock replies chosen by a function of the last message; records every conversation."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.calls: list[list[ChatMessage]] = []

    def __call__(self, messages: list[ChatMessage], *_: Any) -> ModelOutput:
        self.calls.append(list(messages))
        return self.reply(messages[-1].text)


def run(task: Any, recorder: Recorder, tmp_path: Path) -> EvalLog:
    return eval_one(task, recorder, tmp_path / "logs")


def scores(log: EvalLog) -> dict[str, Score]:
    assert log.samples is not None
    return {str(s.id): s.scores[SCORER] for s in log.samples if s.scores}


# --- judgment ---------------------------------------------------------------------------------


def test_judgment_targets_follow_the_human_majority() -> None:
    samples = judgment_samples(str(FIXTURE))
    assert [s.target for s in samples] == ["yes", "no", "yes", "no"]
    reverse = judgment_samples(str(FIXTURE), variant="reverse")
    assert [s.target for s in reverse] == ["no", "yes", "no", "yes"]
    assert "morally acceptable" in str(reverse[0].input)


def test_verdict_agreement_and_explanation(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        if prompt.startswith("Explain"):
            return text_output("I think it was wrong because it hurt someone.")
        return logprob_output({"Yes": 0.7, "No": 0.3})  # always "wrong"

    recorder = Recorder(reply)
    log = run(mtt_judgment(data_dir=str(FIXTURE)), recorder, tmp_path)
    by_id = scores(log)
    # Humans: m1 and m3 wrong, m2 and m4 not wrong; the model always says wrong.
    correct = {k: v.value["correct"] for k, v in by_id.items() if isinstance(v.value, dict)}
    assert correct == {"mtt-m1": 1.0, "mtt-m2": 0.0, "mtt-m3": 1.0, "mtt-m4": 0.0}
    assert log.samples is not None
    sample = log.samples[0]
    assert sample.output.completion.startswith("I think it was wrong")
    # The explanation request follows the verdict rewritten as the chosen word.
    explain = [c for c in recorder.calls if c[-1].text.startswith("Explain")][0]
    assert [m.role for m in explain] == ["user", "assistant", "user"]
    assert explain[1].text == "Yes."


def test_judgment_without_explanation_makes_one_call_per_scenario(tmp_path: Path) -> None:
    recorder = Recorder(lambda _: logprob_output({"Yes": 0.4, "No": 0.6}))
    run(mtt_judgment(data_dir=str(FIXTURE), explain=False, limit=2), recorder, tmp_path)
    prompts = [c[-1].text for c in recorder.calls]
    assert sum(not p.startswith('Here is something a person did:\n"N/A"') for p in prompts) == 2
    assert not any(p.startswith("Explain") for p in prompts)


# --- detection --------------------------------------------------------------------------------


def test_detection_samples_show_both_orders() -> None:
    samples = detect_samples(str(FIXTURE), limit=1)
    assert [(s.id, s.target) for s in samples] == [("mtt-m1-ai-A", "A"), ("mtt-m1-ai-B", "B")]
    first, second = (str(s.input) for s in samples)
    assert "Explanation A: Keeping a found wallet" in first
    assert "Explanation B: Keeping a found wallet" in second


def test_detection_log_odds_and_accuracy(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        # A judge that picks the longer explanation as the computer's, confidently.
        a = prompt.split("Explanation A: ")[1].split("\n\nExplanation B: ")[0]
        b = prompt.split("\n\nExplanation B: ")[1].split("\n\n")[0]
        return logprob_output({"A": 0.9, "B": 0.1} if len(a) > len(b) else {"A": 0.1, "B": 0.9})

    log = run(mtt_detect(data_dir=str(FIXTURE)), Recorder(reply), tmp_path)
    by_id = scores(log)
    assert len(by_id) == 8
    assert all(isinstance(v.value, dict) and v.value["correct"] == 1.0 for v in by_id.values())
    meta = by_id["mtt-m1-ai-B"].metadata or {}
    assert meta["log_odds"] == pytest.approx(math.log(0.9 / 0.1))
    assert log.results is not None
    assert log.results.scores[0].metrics["log_odds_auc"].value == 1.0


def test_grader_judge_and_own_text(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        if "Give your judgment" in prompt:
            return text_output("It was wrong. It may be seen as unfair.")
        return text_output("B")

    recorder = Recorder(reply)
    task = mtt_detect(data_dir=str(FIXTURE), limit=1, judge="grader", ai_text="self")
    by_id = scores(run(task, recorder, tmp_path))
    # The grader (the model under test, as no grader role is bound) answered B both times.
    assert {k: v.answer for k, v in by_id.items()} == {"mtt-m1-ai-A": "B", "mtt-m1-ai-B": "B"}
    assert {k: (v.metadata or {})["method"] for k, v in by_id.items()} == {
        "mtt-m1-ai-A": "generate",
        "mtt-m1-ai-B": "generate",
    }
    detect_prompts = [c[-1].text for c in recorder.calls if "Which explanation" in c[-1].text]
    assert any(
        "Explanation A: It was wrong. It may be seen as unfair." in p for p in detect_prompts
    )


def test_unknown_options() -> None:
    with pytest.raises(UnknownTaskError, match="judge"):
        mtt_detect(judge="crowd")  # type: ignore[arg-type]
    with pytest.raises(UnknownTaskError, match="ai_text"):
        detect_samples(ai_text="gpt")  # type: ignore[arg-type]
    with pytest.raises(UnknownTaskError, match="variant"):
        mtt_judgment(variant="loud")


# --- text features and the classifier baseline ------------------------------------------------


def test_text_features_hand_counted() -> None:
    features = text_features("I think it may be wrong, but I'm not sure; it depends.")
    # 12 words: i think it may be wrong but i'm not sure it depends
    # hedges: may, depends (2); first person: i, i'm (2)
    assert features == {"length": 12.0, "hedge_rate": 2 / 12, "first_person_rate": 2 / 12}
    assert text_features("") == {"length": 0.0, "hedge_rate": 0.0, "first_person_rate": 0.0}


def test_classifier_separates_long_hedged_text_from_short_plain_text() -> None:
    human = [f"That is wrong, {w}." for w in ("plain", "simple", "clear", "obvious", "bad")]
    ai = [
        f"While it may seem {w}, it is generally important to consider the context, "
        "and it could potentially be viewed as problematic depending on the circumstances."
        for w in ("fine", "minor", "harmless", "normal", "acceptable")
    ]
    auc, probabilities, labels = classifier_auc(human, ai)
    assert auc == 1.0
    assert labels == [0] * 5 + [1] * 5
    assert len(probabilities) == 10
    assert math.isnan(classifier_auc(["a"], ["b c"])[0])
