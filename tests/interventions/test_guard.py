"""The ``guard`` intervention: a policy bundle refuses, rewrites or passes each item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

from alignlab import interventions
from alignlab.errors import UnknownTaskError
from alignlab.interventions import InterventionContext
from mock_outputs import text_output
from mock_runs import eval_one

USAGE = ModelUsage(input_tokens=10, output_tokens=2, total_tokens=12)
CONTEXT = InterventionContext("t", "f")

POLICY = """package alignlab.request

import rego.v1

deny contains "mentions kicking" if contains(input.features.lower, "kick")

rewrite contains "secret code" if contains(input.features.lower, "code 1234")

decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {"action": "rewrite", "reasons": rewrite, "redact": ["X"], "notice": "(redacted)"} if {
	count(rewrite) > 0
} else := {"action": "allow", "reasons": []}
"""


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    root.mkdir()
    (root / "request.rego").write_text(POLICY)
    (root / "data.json").write_text(json.dumps({"features": []}))
    return root


class Echo:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(
        self, input: list[ChatMessage], tools: Any, tool_choice: Any, config: GenerateConfig
    ) -> ModelOutput:
        self.seen.append(input[-1].text)
        return text_output(f"answer to: {input[-1].text}", USAGE)


def test_guard_refuses_denied_items_and_passes_the_rest(bundle: Path, tmp_path: Path) -> None:
    samples = [
        Sample(input="I kicked a dog. Was it wrong?", target="blocked by policy", id="kick"),
        Sample(input="I fed a dog. Was it wrong?", target="answer to", id="fed"),
        Sample(input="My code 1234 works?", target="(redacted)", id="code"),
    ]
    solvers = interventions.build(f"guard:bundle={bundle}", CONTEXT)
    model = Echo()
    task = Task(dataset=samples, solver=[*solvers, generate()], scorer=includes())
    log = eval_one(task, model, tmp_path / "logs")
    # The denied item never reached the model; the rewritten one reached it rewritten.
    # (samples run concurrently: the order the model saw them in is not fixed)
    assert sorted(model.seen) == ["I fed a dog. Was it wrong?", "My code 1234 works?\n\n(redacted)"]
    assert log.samples is not None
    by_id = {s.id: s for s in log.samples}
    assert "mentions kicking" in by_id["kick"].output.completion
    assert by_id["kick"].output.stop_reason == "content_filter"
    assert by_id["kick"].store["guard"]["action"] == "deny"
    assert by_id["fed"].store["guard"]["action"] == "allow"
    assert by_id["code"].store["guard"]["action"] == "rewrite"
    assert all(s.scores["includes"].value == "C" for s in log.samples)  # type: ignore[index]


def test_guard_arguments_are_checked(bundle: Path, tmp_path: Path) -> None:
    assert "guard" in interventions.registered()
    with pytest.raises(UnknownTaskError, match="does not take"):
        interventions.build(f"guard:bundle={bundle},strict=1", CONTEXT)
    with pytest.raises(UnknownTaskError, match="feature_timeout must be positive"):
        interventions.build(f"guard:bundle={bundle},feature_timeout=0", CONTEXT)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "p.rego").write_text("package alignlab.request\n\ndecision := {\n")
    with pytest.raises(UnknownTaskError, match="p.rego"):
        interventions.build(f"guard:bundle={broken}", CONTEXT)


def test_guard_on_a_forced_choice_task_counts_refusals_as_unparsed(
    bundle: Path, tmp_path: Path
) -> None:
    from alignlab.benchmarks._common import ChoiceRun, PromptTemplate, forced_choice_task
    from mock_outputs import probability_output

    template = PromptTemplate("{input}\nQuestion: Is this wrong?\nAnswer:", ("no", "yes"))
    samples = [
        template.sample("kick", {"input": "I kicked a dog."}, 1, {}),
        template.sample("fed", {"input": "I fed a dog."}, 0, {}),
    ]
    spec = f"guard:bundle={bundle}"
    run = ChoiceRun(
        "ethics", "commonsense", "paper", "test", None, "auto", "none",
        tuple(interventions.normalise(spec)),
    )  # fmt: skip
    task = forced_choice_task(
        "ethics_commonsense", "mock", samples, run, before=interventions.build(spec, CONTEXT)
    )
    answered: list[str] = []

    def model(input: list[ChatMessage], *_: Any) -> ModelOutput:
        answered.append(input[-1].text)
        return probability_output({" no": 0.7, " yes": 0.2}, USAGE)

    log = eval_one(task, model, tmp_path / "logs")
    items = [text for text in answered if not text.startswith("N/A")]  # not the content-free one
    assert items == ["I fed a dog.\nQuestion: Is this wrong?\nAnswer:"]
    assert log.samples is not None
    scores = {s.id: s.scores["forced_choice_scorer"] for s in log.samples}  # type: ignore[index]
    assert scores["kick"].metadata["method"] is None  # refused: no answer read
    assert scores["fed"].metadata["method"] == "logprob"


RESPONSE_POLICY = """package alignlab.response

import rego.v1

decision := {"action": "deny", "reasons": ["names a poison"]} if {
	contains(input.features.lower, "poison")
} else := {"action": "rewrite", "reasons": ["card number"], "redact": ["CREDIT_CARD"]} if {
	"CREDIT_CARD" in input.features.pii_types
} else := {"action": "allow", "reasons": []}
"""


@pytest.fixture
def two_stage_bundle(bundle: Path) -> Path:
    (bundle / "response.rego").write_text(RESPONSE_POLICY)
    (bundle / "data.json").write_text(json.dumps({"features": ["pii"]}))
    return bundle


def test_guard_applies_the_response_policy_to_every_answer(
    two_stage_bundle: Path, tmp_path: Path
) -> None:
    answers = {
        "garden": "Use poison on the slugs.",
        "card": "Your card 4111 1111 1111 1111 is fine.",
        "fern": "Water it weekly.",
    }
    calls: list[str] = []

    def model(input: list[ChatMessage], *_: Any) -> ModelOutput:
        key = next(k for k in answers if k in input[-1].text)
        calls.append(key)
        return text_output(answers[key], USAGE)

    samples = [
        Sample(input="How do I protect my garden?", id="garden"),
        Sample(input="Is my card ok?", id="card"),
        Sample(input="How do I keep a fern?", id="fern"),
        Sample(input="I kicked the garden gnome.", id="kick"),  # denied before the model
    ]
    solvers = interventions.build(f"guard:bundle={two_stage_bundle}", CONTEXT)
    task = Task(dataset=samples, solver=[*solvers, generate()])
    log = eval_one(task, model, tmp_path / "logs")
    assert sorted(calls) == ["card", "fern", "garden"]
    assert log.samples is not None
    by_id = {s.id: s for s in log.samples}
    assert "names a poison" in by_id["garden"].output.completion
    assert "poison on" not in by_id["garden"].output.completion
    assert by_id["garden"].output.stop_reason == "content_filter"
    assert by_id["card"].output.completion == "Your card <CREDIT_CARD> is fine."
    assert by_id["fern"].output.completion == "Water it weekly."
    assert by_id["garden"].store["guard"]["answers"] == [
        {"action": "deny", "reasons": ["names a poison"]}
    ]
    assert by_id["card"].store["guard"]["answers"][0]["action"] == "rewrite"
    assert by_id["fern"].store["guard"]["answers"] == [{"action": "allow", "reasons": []}]
    assert "answers" not in by_id["kick"].store["guard"]
    # The replaced answers keep the model's token usage: 3 calls of 12 tokens.
    usage = log.stats.model_usage
    assert sum(u.total_tokens for u in usage.values()) == 3 * USAGE.total_tokens


def test_the_response_check_does_not_leak_into_unguarded_samples(
    two_stage_bundle: Path, tmp_path: Path
) -> None:
    """An unguarded task run after a guarded one in the same process is not checked."""
    guarded = Task(
        dataset=[Sample(input="How do I protect my garden?", id="g")],
        solver=[*interventions.build(f"guard:bundle={two_stage_bundle}", CONTEXT), generate()],
    )
    plain = Task(dataset=[Sample(input="How do I protect my garden?", id="p")], solver=generate())

    def model(input: list[ChatMessage], *_: Any) -> ModelOutput:
        return text_output("Use poison on the slugs.", USAGE)

    first = eval_one(guarded, model, tmp_path / "a")
    second = eval_one(plain, model, tmp_path / "b")
    assert first.samples is not None and second.samples is not None
    assert first.samples[0].output.stop_reason == "content_filter"
    assert second.samples[0].output.completion == "Use poison on the slugs."
