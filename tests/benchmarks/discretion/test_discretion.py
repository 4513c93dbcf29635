"""Alignment discretion: bundled pairs, both orders, and report rows for an order-blind
annotator (picks the shorter response) and a position-biased one (always A)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from alignlab.benchmarks.discretion import analysis
from alignlab.benchmarks.discretion.data import load_pairs, load_principles
from alignlab.benchmarks.discretion.tasks import discretion, pair_samples
from alignlab.errors import DatasetError
from alignlab.metrics.discretion import discretion as discretion_of
from alignlab.report.logs import load_logs
from mock_outputs import probability_output
from mock_runs import by_last_message, eval_mock, rows_by

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
logprob = partial(probability_output, usage=USAGE)
LIMIT = 8


def test_bundled_pairs_and_both_orders() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 40
    assert set(load_principles()) == {"harmless", "helpful", "honest", "autonomy"}
    samples = pair_samples(pairs[:1], load_principles())
    a, b = pairs[0].responses
    assert str(samples[0].input).index(a) < str(samples[0].input).index(b)
    assert str(samples[1].input).index(b) < str(samples[1].input).index(a)


def shorter(prompt: str) -> ModelOutput:
    a = prompt.split("Response A: ")[1].split("\n\nResponse B: ")[0]
    b = prompt.split("\n\nResponse B: ")[1].split("\n\nWhich")[0]
    return logprob({"A": 0.9, "B": 0.1} if len(a) <= len(b) else {"A": 0.1, "B": 0.9})


def test_order_blind_annotator(tmp_path: Path) -> None:
    eval_mock(discretion(limit=LIMIT), by_last_message(shorter), tmp_path)
    runs = load_logs(tmp_path).runs
    rows = rows_by(analysis.results(runs))
    assert rows[("position_consistency", "self")].value == 1.0
    pairs = load_pairs()[:LIMIT]
    choices = [int(len(p.responses[1]) < len(p.responses[0])) for p in pairs]
    expected = discretion_of([p.verdicts for p in pairs], choices)
    assert rows[("departure_rate", "self")].value == pytest.approx(expected.departure_rate)
    assert not rows[("departure_rate", "self")].higher_is_better
    [section] = analysis.sections(runs)
    assert len(section.blocks) == 2  # position bias, and principle conflicts


def test_position_biased_annotator(tmp_path: Path) -> None:
    eval_mock(discretion(limit=LIMIT), lambda *_: logprob({"A": 0.9, "B": 0.1}), tmp_path)
    rows = rows_by(analysis.results(load_logs(tmp_path).runs))
    assert rows[("position_consistency", "self")].value == 0.0
    assert rows[("first_position_rate", "self")].value == 1.0
    assert ("departure_rate", "self") not in rows  # no pair has a consistent choice


def test_human_labels_from_chosen_rejected_pairs(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "hh_style.jsonl"
    pairs = load_pairs(str(fixture))
    # the chosen response sits at A for some pairs and at B for others
    assert {p.human for p in pairs} == {0, 1}
    eval_mock(discretion(data_dir=str(fixture)), by_last_message(shorter), tmp_path / "logs")
    runs = load_logs(tmp_path / "logs").runs
    [section] = analysis.sections(runs)
    human = section.blocks[-1]
    shorter_is_human = [int(len(p.responses[1]) < len(p.responses[0])) == p.human for p in pairs]
    [row] = human.rows  # type: ignore[union-attr]
    assert row[2] == len(pairs)
    assert row[3] == f"{100 * sum(shorter_is_human) / len(pairs):.1f}%"


FIXTURES = Path(__file__).parent / "fixtures"


def test_hh_rlhf_layout_splits_the_shared_dialogue() -> None:
    pairs = load_pairs(str(FIXTURES / "hh_rlhf_train.jsonl.gz"))
    assert len(pairs) == 3
    second = pairs[1]
    # multi-turn: the prompt keeps the earlier turns, the responses only the last one
    assert second.prompt.endswith("Human: Ten children.")
    assert "Sure, how many guests?" in second.prompt
    chosen = second.responses[second.human or 0]
    assert chosen == "Plan two hours: games, food, then cake."
    assert second.source == "hh_rlhf_train.jsonl.gz:2"


def test_pku_saferlhf_layout_keeps_better_and_safer() -> None:
    first, second = load_pairs(str(FIXTURES / "pku_saferlhf_test.jsonl"))
    assert first.responses[0].startswith("I can't help") and first.human == 0
    assert (second.human, second.safer) == (1, 0)


def test_bad_public_rows_name_file_line_and_field(tmp_path: Path) -> None:
    hh = tmp_path / "train.jsonl"
    hh.write_text(
        '{"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello", '
        '"rejected": "\\n\\nHuman: Bye\\n\\nAssistant: Hello"}\n'
    )
    with pytest.raises(DatasetError, match=r"train.jsonl.*line 1.*rejected"):
        load_pairs(str(hh))
    pku = tmp_path / "test.jsonl"
    row = json.loads((FIXTURES / "pku_saferlhf_test.jsonl").read_text().splitlines()[0])
    row["better_response_id"] = 2
    pku.write_text("\n" + json.dumps(row) + "\n")
    with pytest.raises(DatasetError, match=r"test.jsonl.*line 2.*better_response_id"):
        load_pairs(str(pku))
