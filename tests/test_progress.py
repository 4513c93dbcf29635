"""The compact suite progress view: its line on fake events, and a real run with a mock model."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from inspect_ai.model import ModelUsage

from alignlab.progress import LiveProgress, Progress, render
from mock_outputs import top_logprob_output


def test_render_counts_rate_and_eta_by_hand() -> None:
    p = Progress(tasks_total=3, started=100.0)
    assert render(p, 100.0) == "tasks 0/3 · samples 0/0 · – samples/s · elapsed 0s · ETA –"
    p.task_started("ethics_commonsense", 10)
    for _ in range(5):
        p.sample_done()
    # 5 samples in 10 s: 0.50/s; 5 left: 10 s, "+" as two tasks have not started
    assert render(p, 110.0) == (
        "tasks 0/3 · samples 5/10 · 0.50 samples/s · elapsed 10s · ETA 10s+ · "
        "running ethics_commonsense"
    )
    for _ in range(5):
        p.sample_done()
    p.task_done("ethics_commonsense", ok=True)
    p.task_started("a", 30)
    p.task_started("b", 20)
    for _ in range(10):
        p.sample_done()
    p.task_done("a", ok=False)
    # 20 of 60 in 80 s: 0.25/s; 40 left: 160 s; every task started, so no "+"
    assert render(p, 180.0) == (
        "tasks 2/3 (1 failed) · samples 20/60 · 0.25 samples/s · elapsed 1m 20s · ETA 2m 40s "
        "· running b"
    )


def test_off_a_terminal_one_line_per_finished_task() -> None:
    out = io.StringIO()
    view = LiveProgress(2, out)
    view.task_started("t1", 2)
    view.sample_done()
    view.sample_done()
    view.task_done("t1", ok=True)
    view.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("t1 done: tasks 1/2 · samples 2/2 · ")


def test_a_run_without_display_shows_the_compact_view_not_inspects_panels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignlab.runner import run_eval

    monkeypatch.setenv("ALIGNLAB_INDEX_URL", "off")
    usage = ModelUsage(input_tokens=3, output_tokens=1, total_tokens=4)
    outcome = run_eval(
        model="mockllm/model",
        model_args={"custom_outputs": lambda *_: top_logprob_output({"Yes": -0.2}, usage)},
        tasks=["ethics_commonsense", "ethics_justice"],
        limit=3,
        log_dir=tmp_path,
    )
    assert outcome.success
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "ethics_commonsense done: tasks 1/2" in text
    import re

    done = re.search(r"ethics_justice done: tasks 2/2 · samples (\d+)/(\d+) · ", text)
    assert done is not None and done[1] == done[2] and int(done[1]) >= 6
    assert "HTTP retries" not in text and "╭" not in text  # no Inspect panel
