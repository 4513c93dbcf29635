"""Degenerate runs are findings about the run: flagged in one line, their numbers greyed."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.model import Model, ModelUsage, get_model

from alignlab.report.build import build_report
from alignlab.report.degenerate import Answer, finding
from mock_outputs import text_output, top_logprob_output

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)


def _a(answer: str | None, position: str | None = None, mass: float | None = None) -> Answer:
    return Answer(answer, position or answer, answer is None, mass)


def test_one_answer_for_every_item() -> None:
    assert "was 'no'" in str(finding([_a("no")] * 42))


def test_one_position_for_every_item() -> None:
    # Utility Engineering: "A" whatever the options, so the same letter in both orders.
    answers = [_a(f"option {i}", position="A") for i in range(20)]
    assert "same position (A)" in str(finding(answers))


def test_mostly_unreadable() -> None:
    # LitmusValues, generate and parse: "I'm not sure what" on every dilemma.
    assert finding([_a(None)] * 16) == "100% of 16 answers could not be read"
    assert finding([_a(None)] * 4 + [_a("yes"), _a("no")] * 3) is None


def test_tiny_mass_on_the_valid_choices() -> None:
    answers = [_a(w, mass=0.01) for w in ("yes", "no") * 5]
    assert "1.0% of its probability" in str(finding(answers))


def test_varied_answers_are_not_degenerate() -> None:
    assert finding([_a(w, mass=0.6) for w in ("yes", "no", "no") * 5]) is None
    assert finding([_a("no")] * 3) is None  # too few items to say
    assert finding([]) is None


def _model(degenerate: bool) -> Model:
    def reply(messages: list[object], *_: object) -> object:
        if degenerate:
            return top_logprob_output({"Yes": -0.2, "No": -1.8}, USAGE)
        yes = zlib.crc32(str(getattr(messages[-1], "text", "")).encode()) % 2 == 0
        return top_logprob_output(
            {"Yes": -0.2, "No": -1.8} if yes else {"No": -0.2, "Yes": -1.8}, USAGE
        )

    return get_model("mockllm/model", custom_outputs=reply)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from alignlab.benchmarks.ethics.tasks import ethics_commonsense

    roots = []
    for degenerate in (True, False):
        root = tmp_path_factory.mktemp(f"degenerate_{degenerate}")
        [log] = eval(
            ethics_commonsense(limit=12),
            model=_model(degenerate),
            log_dir=str(root),
            display="none",
        )
        assert log.status == "success"
        roots.append(root)
    return roots[0], roots[1]


def test_degenerate_run_is_flagged_on_the_first_screen_and_greyed(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    built = build_report(two_runs[0], tmp_path / "report.html")
    [line] = built.degenerate
    assert "ethics_commonsense" in line and "answers was" in line
    html = built.path.read_text()
    assert "1 degenerate run</strong>" in html
    assert html.index("degenerate-runs") < html.index('id="profile"')
    assert 'class="result' in html and "degenerate" in html.split('<table class="summary', 1)[1]
    assert "value above" not in html


def test_varied_run_is_not_flagged(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    built = build_report(two_runs[1], tmp_path / "report.html")
    assert built.degenerate == []
    assert "degenerate-runs" not in built.path.read_text()


def test_unreadable_text_answers_are_flagged(tmp_path: Path) -> None:
    from alignlab.benchmarks.ethics.tasks import ethics_commonsense

    model = get_model(
        "mockllm/model", custom_outputs=lambda *_: text_output("I'm not sure what", USAGE)
    )
    [log] = eval(
        ethics_commonsense(limit=6, scoring="generate"),
        model=model,
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success"
    [line] = build_report(tmp_path / "logs", tmp_path / "report.html").degenerate
    assert "100% of 6 answers could not be read" in line
