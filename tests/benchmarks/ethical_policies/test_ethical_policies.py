"""In-context ethical policies: policy texts, both directions per dilemma, and the report rows
of a model that follows concrete policies and one that always answers A."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from alignlab.benchmarks.ethical_policies import analysis
from alignlab.benchmarks.ethical_policies.data import load_policy_dilemmas
from alignlab.benchmarks.ethical_policies.tasks import ethical_policies, policy, policy_samples
from alignlab.errors import UnknownTaskError
from alignlab.report.logs import load_logs
from mock_outputs import probability_output
from mock_runs import by_last_message, eval_mock, rows_by

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)
logprob = partial(probability_output, usage=USAGE)
LIMIT = 6


def test_bundled_data_has_forty_dilemmas_and_two_samples_each() -> None:
    items = load_policy_dilemmas()
    assert len(items) >= 40
    assert len({i.id for i in items}) == len(items)
    samples = policy_samples("values", items)
    assert len(samples) == 2 * len(items)
    # each dilemma is asked with a policy for each option, with opposite gold options
    first, second = samples[0], samples[1]
    assert first.metadata["group"] == second.metadata["group"]  # type: ignore[index]
    gold = [str(s.input).split(f"{s.target}: ")[1].split("\n")[0] for s in (first, second)]
    assert gold == [items[0].duty_option, items[0].outcome_option]


def test_policy_texts_per_level() -> None:
    item = load_policy_dilemmas()[0]
    assert "deontological" in policy(item, "framework", "duty")
    assert policy(item, "values", "outcome").startswith("When friendship and honesty conflict")
    assert "tell the employer the truth" in policy(item, "concrete", "duty")
    with pytest.raises(UnknownTaskError, match="level"):
        ethical_policies(level="abstract")


def follower(prompt: str) -> ModelOutput:
    """Picks the option a concrete policy names; otherwise always A."""
    named = re.search(r"that means: (.+?)\.\n", prompt)
    if named:
        b = prompt.split("\nB: ")[1].split("\n")[0]
        return logprob(
            {"A": 0.1, "B": 0.9} if b.lower() == named.group(1) else {"A": 0.9, "B": 0.1}
        )
    return logprob({"A": 0.9, "B": 0.1})


def test_consistency_rows(tmp_path: Path) -> None:
    tasks = [ethical_policies(level=lv, limit=LIMIT) for lv in ("values", "concrete")]
    eval_mock(tasks, by_last_message(follower), tmp_path)
    rows = rows_by(analysis.results(load_logs(tmp_path).runs), calibration="none")
    assert rows[("accuracy", "concrete")].value == 1.0
    assert rows[("exact_match", "concrete")].value == 1.0
    samples = policy_samples("values", load_policy_dilemmas()[:LIMIT])
    a_right = [s.target == "A" for s in samples]
    assert rows[("accuracy", "values")].value == pytest.approx(sum(a_right) / len(a_right))
    both = [a_right[i] and a_right[i + 1] for i in range(0, len(a_right), 2)]
    assert rows[("exact_match", "values")].value == pytest.approx(sum(both) / len(both))
    assert rows[("accuracy", "values")].chance == 0.5
