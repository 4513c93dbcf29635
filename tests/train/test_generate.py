"""Data generators: counterfactual prompting, SELF-ALIGN and policy-ranked pairs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from alignlab.errors import AlignlabError, DatasetError
from alignlab.train.generate import (
    STYLES,
    GenerationStats,
    counterfactual_pairs,
    load_prompts,
    load_scaffold,
    parse_answer,
    parse_topics,
    policy_pairs,
    principle_prompt,
    self_align,
)


class ScriptedSampler:
    """Answers by rule, recording every call: what a real sampler is asked, without a model."""

    settings = {"model": "scripted", "seed": 0}

    def __init__(self, complete_answers: Sequence[str] = ()) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.complete_answers = list(complete_answers)

    def chat(
        self, user: str, key: Sequence[object], system: str | None = None, n: int = 1
    ) -> list[str]:
        self.calls.append((user, system))
        tag = "plain" if system is None else " ".join(system.split()[:3])
        return [f"{tag} answer {k} to {user}" for k in range(n)]

    def complete(self, text: str, key: Sequence[object], n: int = 1) -> list[str]:
        self.calls.append((text, None))
        return [self.complete_answers.pop(0)]


PROMPTS = [{"id": "p1", "prompt": "Should I keep the extra change?", "kind": "task"}]


@pytest.mark.parametrize(
    ("variant", "chosen", "rejected"),
    [
        ("contrastive", "desired", "undesired"),
        ("enc", "desired", "none"),
        ("dis", "none", "undesired"),
    ],
)
def test_counterfactual_pairs_keep_the_neutral_prompt(
    variant: str, chosen: str, rejected: str
) -> None:
    sampler = ScriptedSampler()
    style = STYLES["ethical"]
    [pair] = counterfactual_pairs(sampler, PROMPTS, "ethical", variant)  # type: ignore[arg-type]
    assert pair["prompt"] == PROMPTS[0]["prompt"]  # no directive in the training prompt
    assert (pair["chosen_under"], pair["rejected_under"]) == (chosen, rejected)
    tags = {"desired": style.desired, "undesired": style.undesired}
    for field, under in (("chosen", chosen), ("rejected", rejected)):
        tag = " ".join(tags[under].split()[:3]) if under in tags else "plain"
        assert pair[field].startswith(tag + " answer")
    assert pair["source"] == "counterfactual" and pair["style"] == "ethical"
    assert pair["prompt_id"] == "p1" and pair["model"] == "scripted"


def test_negation_puts_the_undesired_instruction_in_the_prompt() -> None:
    [pair] = counterfactual_pairs(ScriptedSampler(), PROMPTS, "honest", "negation")  # type: ignore[arg-type]
    assert pair["prompt"].startswith(STYLES["honest"].undesired)
    assert pair["chosen"].startswith("plain")


def test_unknown_style_and_variant_name_what_exists() -> None:
    with pytest.raises(AlignlabError, match="ethical, honest, refuses"):
        counterfactual_pairs(ScriptedSampler(), PROMPTS, "pirate")  # type: ignore[arg-type]
    with pytest.raises(AlignlabError, match="contrastive, enc, dis, negation"):
        counterfactual_pairs(ScriptedSampler(), PROMPTS, "honest", "both")  # type: ignore[arg-type]


def test_bundled_prompts_by_kind(tmp_path: Path) -> None:
    tasks = load_prompts(kinds=["task"])
    both = load_prompts(kinds=STYLES["refuses"].kinds)
    assert tasks and len(both) > len(tasks)
    assert {p["kind"] for p in both} == {"task", "inappropriate"}
    bad = tmp_path / "p.jsonl"
    bad.write_text(json.dumps({"text": "no prompt field"}) + "\n")
    with pytest.raises(DatasetError, match="prompt"):
        load_prompts(bad)


def test_parsers() -> None:
    assert parse_topics("Garden fences\n- Loud music, Parking\n3. a very long topic name", 5) == [
        "Garden fences",
        "Loud music",
        "Parking",
    ]
    assert parse_answer(" principle honest applies.\nAssistant: Say so.\nUser: next") == (
        "principle honest applies.",
        "Say so.",
    )
    assert parse_answer("just thoughts, no answer") is None


def test_scaffold_and_prompt(tmp_path: Path) -> None:
    scaffold = load_scaffold()
    prompt = principle_prompt(scaffold, "Is it fine to lie?")
    assert all(p["text"] in prompt for p in scaffold["principles"])
    assert prompt.endswith("User: Is it fine to lie?\nThoughts:")
    bad = tmp_path / "s.yaml"
    bad.write_text("persona: x\nprinciples: [{name: a}]\nexemplars: []\nquestion_types: []\n")
    with pytest.raises(DatasetError, match=r"principles\[0\]\.text"):
        load_scaffold(bad)


def test_self_align_drops_the_scaffold_and_counts_failures() -> None:
    scaffold = load_scaffold()
    one_type = {**scaffold, "question_types": scaffold["question_types"][:1]}
    sampler = ScriptedSampler(
        [
            "Old letters\n- Phone calls",  # brainstorm: two topics
            "What did my aunt write in her old letters?",  # question for topic 1
            " harmless and humble apply.\nAssistant: I cannot know that; ask her.\nUser:",
            "no question here",  # topic 2: unreadable, counted
        ]
    )
    stats = GenerationStats()
    rows = self_align(sampler, scaffold=one_type, topics_per_type=2, stats=stats)  # type: ignore[arg-type]
    assert rows == [
        {
            "prompt": "What did my aunt write in her old letters?",
            "source": "self-align",
            "question_type": "private person",
            "topic": "Old letters",
            "principles_named": ["harmless", "humble"],
            "model": "scripted",
            "seed": 0,
            "completion": "I cannot know that; ask her.",
        }
    ]
    assert stats.skipped == {"no question written": 1}


class LengthReward:
    def details(self, prompt: str, completion: str) -> dict[str, Any]:
        return {"reward": len(completion) / 100}


def test_policy_pairs_choose_the_best_over_the_worst() -> None:
    class Varied(ScriptedSampler):
        def chat(self, user: str, key: Any, system: Any = None, n: int = 1) -> list[str]:
            return ["short", "a much longer answer", "medium one"][:n]

    [pair] = policy_pairs(Varied(), PROMPTS, LengthReward(), samples=3, bundle="x")  # type: ignore[arg-type]
    assert (pair["chosen"], pair["rejected"]) == ("a much longer answer", "short")
    assert pair["margin"] == pytest.approx(0.15)
    assert pair["source"] == "policy" and pair["bundle"] == "x"
    stats = GenerationStats()
    kept = policy_pairs(Varied(), PROMPTS, LengthReward(), samples=3, min_margin=0.5, stats=stats)  # type: ignore[arg-type]
    assert kept == []
    assert stats.skipped == {"rewards within the margin": 1}


@pytest.mark.slow
def test_generators_on_the_bundled_model_are_seeded() -> None:
    from alignlab.policy.principles import PrincipleReward
    from alignlab.train.convert import bundled_checkpoint
    from alignlab.train.generate import Sampler

    def make(seed: int) -> Sampler:
        return Sampler(bundled_checkpoint(), seed=seed, max_new_tokens=8, name="alignlab/smollm2")

    prompts = load_prompts(kinds=STYLES["refuses"].kinds)
    prompts = [prompts[0], prompts[-1]]
    sampler = make(0)
    first = counterfactual_pairs(sampler, prompts, "refuses")
    again = counterfactual_pairs(make(0), prompts[::-1], "refuses")
    assert first and sorted(json.dumps(r) for r in first) == sorted(json.dumps(r) for r in again)
    assert all(r["prompt"] in {p["prompt"] for p in prompts} for r in first)
    assert first[0]["seed"] == 0 and first[0]["max_new_tokens"] == 8
    other = counterfactual_pairs(make(1), prompts, "refuses")
    assert [r["chosen"] for r in other] != [r["chosen"] for r in first]
    stats = GenerationStats()
    pairs = policy_pairs(
        sampler, prompts, PrincipleReward.for_bundle(None), samples=3, min_margin=0.0, stats=stats
    )
    assert len(pairs) + sum(stats.skipped.values()) == len(prompts)
    for pair in pairs:
        assert pair["chosen_scores"]["reward"] > pair["rejected_scores"]["reward"]
    rows = self_align(sampler, types=1, topics_per_type=1, stats=GenerationStats())
    assert all("Principles" not in r["completion"] for r in rows)


def test_cli_refuses_an_unknown_style_and_mixes_heads(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from alignlab.cli import app

    runner = CliRunner()
    out = tmp_path / "p.jsonl"
    result = runner.invoke(app, ["data", "counterfactual", "--style", "pirate", "-o", str(out)])
    assert result.exit_code == 1 and "refuses" in result.output and not out.exists()
    result = runner.invoke(app, ["data", "from-policy", "--weight", "helpfulness", "-o", str(out)])
    assert result.exit_code == 1 and "name=number" in result.output
    result = runner.invoke(app, ["mix-heads", str(tmp_path), "--weight", "a=1", "-o", str(out)])
    assert result.exit_code == 1 and "not a MAH-DPO" in result.output
