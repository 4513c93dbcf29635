"""TrustGPT: data, the four tasks on the mock model, the rows and the section."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.model import ModelOutput, ModelUsage
from profanity_check import predict_prob

from alignlab.benchmarks._scored import logged_metrics, row_key
from alignlab.benchmarks.trustgpt import analysis
from alignlab.benchmarks.trustgpt.data import load_groups, load_norms, load_templates
from alignlab.benchmarks.trustgpt.tasks import (
    SCORER,
    is_refusal,
    trustgpt_active,
    trustgpt_bias,
    trustgpt_passive,
    trustgpt_toxicity,
)
from alignlab.errors import DatasetError, UnknownTaskError
from alignlab.metrics import group_gap
from alignlab.report.build import build_report
from alignlab.report.logs import load_logs
from alignlab.report.sections import Figure, Table
from mock_outputs import text_output
from mock_runs import by_last_message, eval_mock, rows_by

FIXTURES = Path(__file__).parent / "fixtures"
USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
RUDE = "You are a stupid idiot."
KIND = "Have a nice day."


def say(text: str) -> ModelOutput:
    return text_output(text, USAGE)


def test_bundled_data_has_enough_items_per_task() -> None:
    norms = load_norms()
    assert len(norms) >= 60
    assert {n.label: sum(m.label == n.label for m in norms) for n in norms} == {
        "good": 20,
        "neutral": 20,
        "bad": 20,
    }
    assert len(load_groups()) == 8
    assert set(load_templates()) == {"toxicity", "bias", "active", "passive"}


def test_social_chem_layout() -> None:
    norms = load_norms(FIXTURES)
    # Rows without an action are skipped and a repeated action is read once.
    assert [(n.action, n.label) for n in norms] == [
        ("yelling at a stranger", "bad"),
        ("helping a stranger", "good"),
        ("wearing a hat", "neutral"),
    ]


def test_bad_rating_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "social-chem-101.v1.0.tsv"
    bad.write_text("action\taction-moral-judgment\nlying\tthree\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="action-moral-judgment") as info:
        load_norms(tmp_path)
    assert "line 2" in str(info.value)


def test_bias_gap_from_a_model_rude_to_one_group(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        return say(RUDE if "Muslim" in prompt else KIND)

    eval_mock([trustgpt_bias(limit=3)], by_last_message(reply), tmp_path)
    runs = load_logs(tmp_path).runs
    rows = rows_by(analysis.results(runs), task="trustgpt_bias")
    rude, kind = (float(p) for p in predict_prob([RUDE, KIND]))
    assert rows[("toxicity", "Muslim")].value == pytest.approx(rude)
    assert rows[("toxicity", "woman")].value == pytest.approx(kind)
    assert rows[("toxicity", "Muslim")].n == 3
    expected = group_gap({"Muslim": [rude], **{str(i): [kind] for i in range(7)}})
    assert rows[("toxicity_max_min", "groups")].value == pytest.approx(rude - kind)
    assert rows[("toxicity_std", "groups")].value == pytest.approx(expected.std)
    # The log's Inspect metric holds the report's numbers.
    logged = logged_metrics(runs[0].header, SCORER)
    gap = rows[("toxicity_std", "groups")]
    assert logged[row_key(gap)] == pytest.approx(gap.value)
    [section] = analysis.sections(runs)
    assert any(isinstance(b, Figure) for b in section.blocks)
    tests = [b for b in section.blocks if isinstance(b, Table) and "vs group" in b.columns]
    assert len(tests[0].rows) == 28  # 8 groups: 28 pairs
    # The whole HTML report renders the section: the group-gap chart and the pairwise tests.
    built = build_report(tmp_path, tmp_path / "report.html")
    page = built.path.read_text(encoding="utf-8")
    assert "TrustGPT: toxicity, bias across groups" in page
    assert "Mann-Whitney U between each pair" in page


def test_toxicity_per_label(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        return say(RUDE if "Say something toxic" in prompt else KIND)

    eval_mock([trustgpt_toxicity(limit=6)], by_last_message(reply), tmp_path)
    rows = rows_by(analysis.results(load_logs(tmp_path).runs), task="trustgpt_toxicity")
    rude = float(predict_prob([RUDE])[0])
    assert rows[("toxicity", "all")].value == pytest.approx(rude)
    assert {subset for _, subset in rows} == {"all", "good", "neutral", "bad"}
    assert rows[("toxicity", "bad")].n == 2


def test_active_hard_and_soft_accuracy(tmp_path: Path) -> None:
    eval_mock([trustgpt_active()], by_last_message(lambda p: say("Good.")), tmp_path)
    rows = rows_by(analysis.results(load_logs(tmp_path).runs), task="trustgpt_active")
    # Always "good": exact on the 20 good actions; soft also on the 20 neutral ones.
    assert rows[("hard_accuracy", "all")].value == pytest.approx(1 / 3)
    assert rows[("soft_accuracy", "all")].value == pytest.approx(2 / 3)
    assert rows[("hard_accuracy", "all")].chance == pytest.approx(1 / 3)
    assert rows[("soft_accuracy", "all")].chance == pytest.approx((40 * 2 / 3 + 20 / 3) / 60)


def test_passive_refusals_by_keywords_and_by_grader(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        if prompt.startswith("A user asked"):  # the grader's question
            return say("Yes" if "I can't" in prompt else "No")
        return say("I'm sorry, I can't do that." if "friend" in prompt else RUDE)

    bad = [n for n in load_norms() if n.label == "bad"]
    expected = sum("friend" in n.action for n in bad) / len(bad)
    eval_mock(
        [trustgpt_passive(), trustgpt_passive(judge="grader")], by_last_message(reply), tmp_path
    )
    rows = analysis.results(load_logs(tmp_path).runs)
    rta = [r for r in rows if r.metric == "rta"]
    assert len(rta) == 2
    assert all(r.value == pytest.approx(expected) and r.n == 20 for r in rta)
    assert {r.scoring for r in rta} == {"keywords", "grader"}


def test_refusal_phrases() -> None:
    from alignlab.benchmarks.trustgpt.data import load_refusal_phrases

    phrases = load_refusal_phrases()
    assert is_refusal("I’m sorry, but I won’t do that.", phrases)
    assert is_refusal("   ", phrases)
    assert not is_refusal("Here you go: you are awful.", phrases)


def test_unknown_options() -> None:
    with pytest.raises(UnknownTaskError, match="toxicity"):
        trustgpt_toxicity(toxicity="perspective")
    with pytest.raises(UnknownTaskError, match="variant"):
        trustgpt_active(variant="bad")
    with pytest.raises(UnknownTaskError, match="judge"):
        trustgpt_passive(judge="self")


def test_grader_toxicity_scorer_reads_a_0_to_10_rating(tmp_path: Path) -> None:
    def reply(prompt: str) -> ModelOutput:
        if prompt.startswith("Rate how toxic"):  # the grader's question
            return say("7" if RUDE in prompt else "no idea")
        return say(RUDE if "partner" in prompt else KIND)

    eval_mock([trustgpt_toxicity(limit=2, toxicity="grader")], by_last_message(reply), tmp_path)
    rows = rows_by(analysis.results(load_logs(tmp_path).runs), task="trustgpt_toxicity")
    # Action 1 (reading a partner's messages) gets the rude answer, rated 7/10; the kind
    # answer to action 2 gets no number: unread, left out.
    overall = rows[("toxicity", "all")]
    assert (overall.value, overall.n, overall.unparsed_rate) == (pytest.approx(0.7), 1, 0.5)
    assert overall.scoring == "grader"
