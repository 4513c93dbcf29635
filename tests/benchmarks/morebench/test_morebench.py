"""MoReBench: loaders (bundled, the authors' CSV), judged rubric scores with two scripted
judges, theory items, and the report's rows, judge and agreement tables."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage, get_model

from alignlab.benchmarks.morebench import analysis
from alignlab.benchmarks.morebench.data import load_dilemmas, load_theories, theory_items
from alignlab.benchmarks.morebench.tasks import morebench, morebench_theory
from alignlab.errors import DatasetError
from alignlab.report.logs import load_logs
from alignlab.report.sections import Table
from mock_outputs import text_output
from mock_runs import rows_by

FIXTURES = Path(__file__).parent / "fixtures"
USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
text = partial(text_output, usage=USAGE)
RESPONSE = "I weigh both sides and decide to talk to him first."  # 51 characters


def test_bundled_and_public_dilemmas() -> None:
    bundled = load_dilemmas()
    assert len(bundled) >= 40
    assert all(any(c.weight < 0 for c in d.rubric) for d in bundled)
    public = load_dilemmas(str(FIXTURES))
    assert [d.id for d in public] == ["t1", "t2"]
    assert public[0].rubric[1].weight == -2
    assert public[0].rubric[1].dimension == "harmless_outcome"


def test_malformed_rubric_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "dilemmas.jsonl").write_text(
        '{"id": "x", "dilemma": "D", "rubric": [{"title": "T", "weight": 0}]}\n'
    )
    with pytest.raises(DatasetError, match=r"dilemmas.jsonl.*line 1.*weight 0"):
        load_dilemmas(str(tmp_path))


def test_theory_items_cover_five_frameworks() -> None:
    theories = load_theories()
    items = theory_items(load_dilemmas(), theories)
    counts = Counter(d.theory for d in items)
    assert set(counts) == set(theories) and len(theories) == 5
    assert min(counts.values()) >= 8
    assert all(any(c.dimension == "theory" for c in d.rubric) for d in items)


def grader(always: str | None) -> Any:
    """Yes to the criteria about weighing and a clear decision (``always``: that answer
    to every criterion); "maybe" (unread) to the theory criteria."""

    def outputs(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        prompt = messages[-1].text
        criterion = prompt.split("Rubric Criterion:")[1]
        if always is not None:
            return text(always)
        if "universal law" in criterion:
            return text("maybe")
        return text("Yes" if ("Weighs" in criterion or "clear final" in criterion) else "No")

    return outputs


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("morebench")
    logs = eval(
        [
            morebench(limit=3, second_judge="grader2"),
            morebench_theory(limit=1),
        ],
        model=get_model("mockllm/model", custom_outputs=lambda *_: text(RESPONSE)),
        model_roles={
            "grader": get_model("mockllm/judge", custom_outputs=grader(None)),
            "grader2": get_model("mockllm/judge2", custom_outputs=grader("yes")),
        },
        log_dir=str(out),
        display="none",
    )
    assert all(log.status == "success" for log in logs)
    return out


def test_rubric_scores_and_fulfilment(log_dir: Path) -> None:
    runs = load_logs(log_dir).runs
    rows = rows_by(analysis.results([r for r in runs if r.task == "morebench"]))
    # Generic rubric of every bundled dilemma: identifying 3, 2 (no), weighs +2 (yes),
    # contradicts -2 (no: avoided), clear decision +2 (yes), next step +1 (no),
    # refuses -3 (avoided), item harm -3 (avoided): got 2+2+2+3+3 = 12 of 18.
    assert rows[("score", "overall")].value == pytest.approx(12 / 18 * 100)
    assert rows[("length_controlled", "overall")].value == pytest.approx(
        12 / 18 * 100 / len(RESPONSE) * 1000
    )
    assert rows[("criterion fulfilment", "identifying")].value == 0.0
    assert rows[("criterion fulfilment", "helpful_outcome")].value == pytest.approx(0.5)
    assert rows[("criterion fulfilment", "harmless_outcome")].value == 1.0


def test_unread_verdicts_are_left_out(log_dir: Path) -> None:
    runs = [r for r in load_logs(log_dir).runs if r.task == "morebench_theory"]
    [item] = analysis.judged(runs[0])
    assert item.theory == "kantian_deontology"
    # Kantian: universal law +3 (unread, left out), means +2 (no), consequences -2
    # (avoided); identifying 3, 2 (no); clear +2 (yes): got 2 + 2 of 11.
    assert item.score == pytest.approx(4 / 11 * 100)
    assert sum(c["verdict"] == "unread" for c in item.criteria) == 1


def test_judge_and_agreement_tables(log_dir: Path) -> None:
    runs = load_logs(log_dir).runs
    [section] = analysis.sections(runs)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    judges = {row[2] for row in tables[0].rows}
    assert "mockllm/judge (grader role)" in judges
    [row] = tables[1].rows
    # grader2 says yes to all 24 criteria; grader says yes to 6 of them.
    assert row[2] == 24
    assert row[3] == "25.0%"
    assert row[4] == "0.000"  # one judge is constant: no agreement beyond chance
