"""Preference data: pairs from eval failures (train split only), CPO pairs, set summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inspect_ai.model import ModelUsage
from typer.testing import CliRunner

from alignlab.benchmarks.ethics.tasks import ethics_commonsense
from alignlab.cli import app
from alignlab.errors import AlignlabError
from alignlab.train.preference import (
    cpo_pairs,
    pairs_from_eval,
    preference_value,
    summarise,
    write_jsonl,
)
from mock_outputs import probability_output
from mock_runs import by_last_message, eval_one

USAGE = ModelUsage(input_tokens=20, output_tokens=1, total_tokens=21)


def _always_yes(_: str):  # type: ignore[no-untyped-def]
    return probability_output({"yes": 0.7, "no": 0.3}, USAGE)


def test_pairs_from_eval_take_the_wrong_items_of_a_train_log(tmp_path: Path) -> None:
    log = eval_one(
        ethics_commonsense(split="train", limit=12), by_last_message(_always_yes), tmp_path
    )
    wrong = [s for s in log.samples or [] if s.target != "yes"]
    pairs = pairs_from_eval(log.location)
    assert len(pairs) == len(wrong) > 0
    assert all(p["chosen"] == "no" and p["rejected"] == "yes" for p in pairs)
    assert {p["source"] for p in pairs} == {"eval"}
    assert pairs[0]["prompt"].endswith("Answer:")
    out = tmp_path / "pairs.jsonl"
    result = CliRunner().invoke(app, ["data", "from-eval", log.location, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == len(pairs)


def test_pairs_from_eval_refuse_a_test_split_log(tmp_path: Path) -> None:
    log = eval_one(ethics_commonsense(limit=4), by_last_message(_always_yes), tmp_path)
    with pytest.raises(AlignlabError, match="train"):
        pairs_from_eval(log.location)


def test_cpo_value_and_pairs_by_hand() -> None:
    # Condition helpfulness=3: g_help = -|p - 3|; honesty unconditioned: g = p.
    assert preference_value({"helpfulness": 5, "honesty": 4}, {"helpfulness": 3}) == -2 + 4
    responses = [
        {"text": "a", "ratings": {"helpfulness": 5, "honesty": 4}},  # R = 2
        {"text": "b", "ratings": {"helpfulness": 3, "honesty": 2}},  # R = 2 (tie with a)
        {"text": "c", "ratings": {"helpfulness": 1, "honesty": 1}},  # R = -1
    ]
    pairs = cpo_pairs("Q", responses, [{"helpfulness": 3}])
    assert [(p["chosen"], p["rejected"]) for p in pairs] == [("a", "c"), ("b", "c")]
    assert pairs[0]["prompt"] == "<helpfulness: 3> Q"
    assert pairs[0]["margin"] == 3


def test_summarise_counts_sources_and_balance(tmp_path: Path) -> None:
    path = write_jsonl(
        [
            {"prompt": "p1", "chosen": "yes", "rejected": "no", "source": "eval"},
            {"prompt": "p2", "chosen": "no", "rejected": "yes", "source": "cpo"},
            {"prompt": "p2", "chosen": "no", "rejected": "yes", "source": "cpo"},
        ],
        tmp_path / "s.jsonl",
    )
    summary = summarise(path)
    assert summary["rows"] == 3 and summary["kind"] == "preference"
    assert summary["sources"] == {"eval": 1, "cpo": 2}
    assert summary["answer_balance"] == {"no": 2, "yes": 1}
    assert summary["distinct_prompts"] == 2
    result = CliRunner().invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 0 and "preference" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"chosen": "x"}) + "\n")
    result = CliRunner().invoke(app, ["data", "inspect", str(bad)])
    assert result.exit_code == 1
