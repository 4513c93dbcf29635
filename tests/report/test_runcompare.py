"""Tests for alignlab.report.runcompare and `alignlab compare`: two runs on their shared items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, eval, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage, get_model
from inspect_ai.solver import generate
from typer.testing import CliRunner

from alignlab import interventions
from alignlab.benchmarks._common import ChoiceRun, PromptTemplate, forced_choice_task
from alignlab.cli import app
from alignlab.errors import AlignlabError, LogError
from alignlab.interventions import InterventionContext
from alignlab.metrics import paired_difference
from alignlab.report.logs import load_logs
from alignlab.report.runcompare import compare_runs, pair_runs, resolve_side
from mock_outputs import probability_output

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
TEMPLATE = PromptTemplate("{input}\nQuestion: Is this wrong?\nAnswer:", ("no", "yes"))
LABELS = [1, 1, 1, 1, 1, 1, 0, 0]  # six wrong acts, two harmless ones


@task
def toy_pairs(intervention: str | None = None, limit: int | None = None) -> Task:
    samples = [
        TEMPLATE.sample(f"toy-{i}", {"input": f"Act {i}."}, label, {})
        for i, label in enumerate(LABELS)
    ][: limit or None]
    spec = tuple(interventions.normalise(intervention))
    run = ChoiceRun("toy", "toy", "paper", "test", None, "auto", "none", spec)
    before = interventions.build(intervention, InterventionContext("toy_pairs", "toy"))
    return forced_choice_task("toy_pairs", "toy", samples, run, before=before)


@task
def unscored() -> Task:
    return Task(dataset=[Sample(input="Hello", id="s1")], solver=generate())


def _answers(messages: list[ChatMessage], *_: Any) -> ModelOutput:
    # Always "no" without a system prompt; always "yes" with the principles intervention.
    if messages[0].role == "system":
        return probability_output({" yes": 0.7, " no": 0.2}, USAGE)
    return probability_output({" yes": 0.2, " no": 0.7}, USAGE)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("runcompare")
    model = get_model("mockllm/model", custom_outputs=_answers)
    made = [toy_pairs(), toy_pairs(intervention="principles", limit=6), unscored()]
    logs = eval(made, model=model, log_dir=str(root), display="none")
    assert all(log.status == "success" for log in logs)
    # One directory per side, as `alignlab compare DIR_A DIR_B` sees them.
    sides = []
    for name, log in zip(("a", "b", "old"), logs, strict=True):
        (root / name).mkdir()
        source = Path(log.location)
        sides.append(source.rename(root / name / source.name).parent)
    return sides[0], sides[1], sides[2]


def test_compare_runs_on_shared_items(dirs: tuple[Path, Path, Path]) -> None:
    a_dir, b_dir, _ = dirs
    [(a, b)], notes = pair_runs(resolve_side(str(a_dir)), resolve_side(str(b_dir)))
    assert notes == []
    result = compare_runs(a, b, n_bootstrap=500)
    # B saw the first 6 items (all wrong acts): A answers "no" (wrong on all 6), B "yes" (right).
    assert (result.shared, result.only_a, result.only_b) == (6, 2, 0)
    assert result.b_label == "mockllm/model + principles"
    by_name = {m.metric: m for m in result.metrics}
    correct = by_name["correct"]
    assert (correct.mean_a, correct.mean_b, correct.n) == (0.0, 1.0, 6)
    # Same statistics as paired_difference on the same vectors; 6 of 6 flips: p = 2 / 2^6.
    expected = paired_difference([0.0] * 6, [1.0] * 6, n_bootstrap=500)
    assert correct.difference == expected
    assert correct.difference.p_value == pytest.approx(2 / 64)
    assert correct.binary and correct.effect_size != correct.effect_size  # no spread: NaN
    # Holm over the metrics shown: the smallest p times their count (capped at 1).
    ps = sorted(m.difference.p_value for m in result.metrics)
    assert min(m.p_holm for m in result.metrics) == pytest.approx(min(1.0, ps[0] * len(ps)))
    # Duplicated per-item scores are compared once and said so.
    assert "correct_raw" not in by_name
    assert any("correct_raw equals correct" in n for n in result.notes)
    flipped = sorted(f.item for f in result.flips if f.metric == "correct")
    assert flipped == [f"toy-{i}" for i in range(6)]


def test_a_log_without_per_item_scores_is_one_clear_error(dirs: tuple[Path, Path, Path]) -> None:
    a_dir, _, old = dirs
    [run] = load_logs(old).runs
    [base] = load_logs(a_dir).runs
    with pytest.raises(LogError, match="no per-item scores .* older version"):
        compare_runs(base, run)


def test_unpaired_directories_say_why(dirs: tuple[Path, Path, Path]) -> None:
    a_dir, _, old = dirs
    with pytest.raises(AlignlabError, match="No run of A has a counterpart"):
        pair_runs(resolve_side(str(a_dir)) * 2, resolve_side(str(old)))


def test_compare_cli_table_json_and_bad_inputs(
    dirs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    a_dir, b_dir, _ = dirs
    shown = _cli("compare", str(a_dir), str(b_dir))
    assert shown.exit_code == 0, shown.stderr
    assert "6 shared items (2 only in A, 0 only in B)" in shown.stdout
    assert "p (Holm)" in shown.stdout and "0->1" in shown.stdout
    bad = tmp_path / "broken.eval"
    bad.write_text("not a log")
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    for args, message in (
        (("nosuchrun", str(a_dir)), "No run 'nosuchrun' in the run index"),
        ((str(tmp_path / "gone.eval"), str(a_dir)), "No log directory, log file or run id"),
        ((str(bad), str(a_dir)), "Cannot read"),
    ):
        out = _cli("compare", *args, "--index", url)
        assert out.exit_code == 2
        assert out.stderr.strip().count("\n") == 0 and message in out.stderr, out.stderr


def _cli(*args: str) -> Any:
    """``alignlab ARGS`` in this process (stdout and stderr apart)."""
    return CliRunner().invoke(app, list(args))


def test_holm_across_pairs_adjusts_every_metric_of_every_pair_as_one_family(
    dirs: tuple[Path, Path, Path],
) -> None:
    from dataclasses import replace

    from alignlab.metrics import holm_adjust
    from alignlab.report.runcompare import holm_across

    a_dir, b_dir, _ = dirs
    [(a, b)] = pair_runs(resolve_side(str(a_dir)), resolve_side(str(b_dir)))[0]
    one = compare_runs(a, b, n_bootstrap=200)
    two = replace(one, task="second")  # a second task's metrics, the same p-values
    adjusted = holm_across([one, two])
    flat = [m.difference.p_value for c in (one, two) for m in c.metrics]
    got = [m.p_holm_all for c in adjusted for m in c.metrics]
    assert got == pytest.approx(holm_adjust(flat), nan_ok=True)
    # Twice the hypotheses: never smaller than the within-pair adjustment.
    for c in adjusted:
        for m in c.metrics:
            assert not m.p_holm_all < m.p_holm
    # Alone, the family is the pair's metrics.
    [alone] = holm_across([one])
    assert [m.p_holm_all for m in alone.metrics] == pytest.approx(
        [m.p_holm for m in alone.metrics], nan_ok=True
    )
