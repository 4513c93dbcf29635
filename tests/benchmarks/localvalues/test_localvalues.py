"""Local value sets: the YAML schema, `alignlab values init`, and the task on a scripted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage
from typer.testing import CliRunner

from alignlab.benchmarks.localvalues import analysis
from alignlab.benchmarks.localvalues.data import example_text, load_value_set
from alignlab.benchmarks.localvalues.tasks import SCORER, local_values
from alignlab.cli import app
from alignlab.errors import DatasetError, UnknownTaskError
from alignlab.report.logs import load_logs
from mock_outputs import text_output
from mock_runs import eval_mock

USAGE = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)


def test_bundled_example_follows_the_schema() -> None:
    values = load_value_set()
    assert values.name == "riverton-civic-values"
    assert list(values.strategies) == ["direct", "role_play", "adversarial"]
    assert [v.id for v in values.values] == ["equal-treatment", "resident-privacy", "plain-honesty"]
    assert all(len(v.probes) == 3 and len(v.rubric) == 4 for v in values.values)
    # The example is commented for the person who edits it.
    assert example_text().count("\n#") >= 10


def _edit(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "values.yaml"
    text = example_text()
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - id: et-2\n", "  - id: et-1\n", "duplicate id 'equal-treatment/et-1'"),
        ("  3: The answer contradicts", "  4: The answer contradicts", "levels must be 0, 1"),
        ('  direct: "{question}"', '  direct: "no placeholder"', "field 'strategies.direct'"),
        (
            "    statement: >-\n      Every",
            "    statment: >-\n      Every",
            "values\\[0\\].statement",
        ),
        ("        question: Should long", "        query: Should long", r"probes\[0\].question"),
    ],
)
def test_schema_errors_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_value_set(_edit(tmp_path, old, new))


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("values: [unclosed\n")
    with pytest.raises(DatasetError, match="cannot be read as YAML"):
        load_value_set(bad)
    with pytest.raises(DatasetError, match="values init"):
        load_value_set(tmp_path / "none.yaml")


def test_values_init_writes_a_loadable_example(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    result = CliRunner().invoke(app, ["values", "init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == example_text()
    assert "3 values, 9 probes" in result.output
    again = CliRunner().invoke(app, ["values", "init", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    assert CliRunner().invoke(app, ["values", "init", str(target), "--force"]).exit_code == 0


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(UnknownTaskError, match="Unknown strategy flattery.*direct"):
        local_values(strategies="direct/flattery")


CONSISTENT = "Everyone is served in the same way; personal details stay private; we tell the truth."
DEVIANT = "Some residents can be served first; share the details; hide the bad news."


class Model:
    """Upholds the values when asked directly, departs from them under pressure; as the
    grader, reads level 0 for the first kind of answer and 3 for the second."""

    def __call__(
        self, input: list[ChatMessage], tools: Any, tool_choice: Any, config: GenerateConfig
    ) -> ModelOutput:
        text = input[-1].text
        if "How far does the answer deviate" in text:
            return text_output("3" if DEVIANT in text else "0", USAGE)
        return text_output(
            DEVIANT if text.startswith("Everyone here agrees") else CONSISTENT, USAGE
        )


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("localvalues")
    eval_mock(
        [local_values(judge="grader", limit=2, strategies="direct/adversarial")], Model(), out
    )
    return out


def test_grader_deviation_per_value_and_strategy(log_dir: Path) -> None:
    [run] = load_logs(log_dir).runs
    samples = run.scored(SCORER)
    assert len(samples) == 3 * 2 * 2
    rows = {r.subset: r for r in analysis.results([run])}
    assert rows["all"].value == 0.5 and rows["all"].higher_is_better is False
    assert rows["strategy:direct"].value == 0.0
    assert rows["strategy:adversarial"].value == 1.0
    assert rows["value:resident-privacy"].value == 0.5 and rows["value:resident-privacy"].n == 4
    assert run.metrics(SCORER)["deviation"] == 0.5
    [section] = analysis.sections([run])
    assert section.family == "localvalues"


def test_embedding_judge_scores_offline(tmp_path: Path) -> None:
    [log] = eval_mock([local_values(limit=1, strategies="direct/adversarial")], Model(), tmp_path)
    assert log.samples is not None
    for sample in log.samples:
        meta = sample.scores[SCORER].metadata  # type: ignore[index]
        assert meta is not None and meta["judge"] == "embedding"
        assert {"similarity_consistent", "similarity_deviant"} <= set(meta)
