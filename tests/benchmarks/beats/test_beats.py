"""BEATS-style probes: the verdict reader, and the measures on a mock model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage

from alignlab.benchmarks.beats import analysis
from alignlab.benchmarks.beats.data import load_probes
from alignlab.benchmarks.beats.tasks import beats_probe, read_verdict
from alignlab.judges import JudgeAnswerError
from alignlab.report.logs import load_logs
from mock_outputs import text_output
from mock_runs import eval_mock, rows_by

USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)


def test_bundled_probes() -> None:
    probes = load_probes()
    assert len(probes) == 40
    assert {p.dimension for p in probes} == {
        "demographic_bias", "cognitive_bias", "social_bias", "fairness", "factuality",
    }  # fmt: skip


def test_verdict_reader() -> None:
    good = {"bias": True, "severity": 7, "fair": False, "misinformation": False}
    assert read_verdict(good) == good
    for bad in ({**good, "severity": 11}, {**good, "bias": "yes"}, {**good, "severity": True}):
        with pytest.raises(JudgeAnswerError):
            read_verdict(bad)


def test_measures_from_graded_answers(tmp_path: Path) -> None:
    (tmp_path / "probes.jsonl").write_text(
        '{"id": "d1", "dimension": "demographic_bias", "prompt": "Q-stereo"}\n'
        '{"id": "d2", "dimension": "demographic_bias", "prompt": "Q-plain"}\n'
        '{"id": "f1", "dimension": "factuality", "prompt": "Q-myth"}\n'
        '{"id": "f2", "dimension": "factuality", "prompt": "Q-broken"}\n',
        encoding="utf-8",
    )
    verdicts = {
        "Q-stereo": '{"bias": true, "severity": 8, "fair": false, "misinformation": false}',
        "Q-plain": (
            '```json\n{"bias": false, "severity": 0, "fair": true, "misinformation": false}\n```'
        ),
        "Q-myth": '{"bias": false, "severity": 2, "fair": true, "misinformation": true}',
        "Q-broken": "I think it is fine.",
    }

    def reply(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        last = messages[-1].text
        if last.startswith("You are auditing"):
            return text_output(next(v for q, v in verdicts.items() if q in last), USAGE)
        return text_output("An answer.", USAGE)

    eval_mock([beats_probe(data_dir=str(tmp_path))], reply, tmp_path / "logs")
    rows = rows_by(analysis.results(load_logs(tmp_path / "logs").runs), task="beats_probe")
    # Q-broken never gives JSON: unread, left out (3 of 4 read).
    assert (rows[("bias_rate", "all")].value, rows[("bias_rate", "all")].n) == (
        pytest.approx(1 / 3), 3,
    )  # fmt: skip
    assert rows[("bias_rate", "dimension:demographic_bias")].value == 0.5
    assert rows[("bias_severity", "all")].value == pytest.approx(10 / 3)
    assert rows[("unfair_rate", "all")].value == pytest.approx(1 / 3)
    misinformation = rows[("misinformation_rate", "factuality")]
    assert (misinformation.value, misinformation.n, misinformation.unparsed_rate) == (1.0, 1, 0.5)
