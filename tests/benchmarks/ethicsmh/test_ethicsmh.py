"""EthicsMH: bundled scenarios, decision accuracy and a judged explanation on mock models."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage, get_model

from alignlab.benchmarks.ethicsmh import analysis
from alignlab.benchmarks.ethicsmh.data import load_scenarios
from alignlab.benchmarks.ethicsmh.tasks import EXPLAIN_PROMPT, ethicsmh, rubric
from alignlab.errors import DatasetError
from alignlab.report.logs import load_logs
from mock_outputs import probability_output, text_output
from mock_runs import rows_by

USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
text = partial(text_output, usage=USAGE)
logprob = partial(probability_output, usage=USAGE)
LIMIT = 5


def test_bundled_scenarios_and_rubric() -> None:
    items = load_scenarios()
    assert len(items) >= 40
    assert {i.expected for i in items} == {0, 1, 2}  # the expected option is not always A
    weights = [c["weight"] for c in rubric(items[0])]
    assert weights == [2, 2, 1, 1, -2]


def test_bad_expected_index_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "scenarios.jsonl").write_text(
        '{"id": "x", "scenario": "S", "options": ["a", "b"], "expected": 2, '
        '"expected_reasoning": ["r"], "viewpoints": ["v"]}\n'
    )
    with pytest.raises(DatasetError, match=r"scenarios.jsonl.*line 1"):
        load_scenarios(str(tmp_path))


def model(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    if messages[-1].text == EXPLAIN_PROMPT:
        assert messages[-2].role == "assistant" and messages[-2].text.startswith("A: ")
        return text("I chose A because it protects the client.")
    return logprob({"A": 0.8, "B": 0.1, "C": 0.1})


def judge(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    criterion = messages[-1].text.split("Rubric Criterion:")[1]
    return text("Yes" if criterion.startswith("Makes this point") else "No")


def test_decision_and_explanation_scores(tmp_path: Path) -> None:
    [log] = eval(
        ethicsmh(limit=LIMIT),
        model=get_model("mockllm/model", custom_outputs=model),
        model_roles={"grader": get_model("mockllm/judge", custom_outputs=judge)},
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success", log.error
    rows = rows_by(analysis.results(load_logs(tmp_path).runs))
    expected_a = [i.expected == 0 for i in load_scenarios()[:LIMIT]]
    assert rows[("accuracy", "all")].value == pytest.approx(sum(expected_a) / LIMIT)
    assert rows[("accuracy", "all")].chance == pytest.approx(1 / 3)
    # both reasoning points (+2 each) met, perspectives (+1 each) missed, harm avoided:
    # 2 + 2 + 2 of 8
    assert rows[("explanation score", "all")].value == pytest.approx(75.0)
    [section] = analysis.sections(load_logs(tmp_path).runs)
    assert "mockllm/judge (grader role)" in str(section.blocks[1])


FIXTURE = Path(__file__).parent / "fixtures" / "Ethical-Reasoning-in-Mental-Health.csv"


def test_published_csv_is_read_with_the_expected_option_from_its_reasoning() -> None:
    with pytest.warns(UserWarning, match=r"1 row\(s\) name no preferred option.*lines \[4\]"):
        items = load_scenarios(str(FIXTURE.parent))
    assert [i.id for i in items] == ["ethics_mh_901", "ethics_mh_902"]
    first, second = items
    assert first.expected == 1 and len(first.options) == 3  # "Option 2", 1-based
    assert second.expected == 1 and len(second.options) == 4
    assert second.viewpoints[0] == "Client: wants control over treatment."
    assert first.expected_reasoning[0].startswith("Option 2 is preferred")
    assert first.source == f"{FIXTURE.name}:2"
    with pytest.warns(UserWarning):
        task = ethicsmh(data_dir=str(FIXTURE))  # the file itself works too
    assert [s.target for s in task.dataset] == ["B", "B"]
    assert task.dataset[1].metadata is not None and task.dataset[1].metadata["choices"] == [
        "A",
        "B",
        "C",
        "D",
    ]


def test_bad_published_row_names_file_line_and_field(tmp_path: Path) -> None:
    lines = FIXTURE.read_text().splitlines()
    header, row = lines[0], lines[1]
    bad = tmp_path / FIXTURE.name
    bad.write_text(header + "\n" + row.replace("['Tell the", "[Tell the") + "\n")
    with pytest.raises(DatasetError, match=r"Mental-Health.csv.*line 2.*options"):
        load_scenarios(str(tmp_path))
    bad.write_text(header.replace(",viewpoints", ",views") + "\n" + row + "\n")
    with pytest.raises(DatasetError, match=r"viewpoints"):
        load_scenarios(str(tmp_path))
