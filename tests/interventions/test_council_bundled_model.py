"""``council`` on the real bundled model (SmolLM2-135M): a judgment task (ETHICS commonsense) and a
dilemma task (LitmusValues' AIRiskDilemmas), two items each, two agents of 12 tokens.

Every agent generates on every item (and on the content-free prompt), which takes minutes on a
busy CPU, so the test is marked slow.
"""

from __future__ import annotations

import pytest
from inspect_ai import eval

from alignlab.benchmarks.ethics.tasks import ethics_commonsense
from alignlab.benchmarks.litmus.tasks import litmus_dilemmas
from alignlab.interventions.council import TRANSCRIPT_KEY
from alignlab.models.bundled import DEFAULT_MODEL

COUNCIL = "council:roster=islamic/confucian,max_tokens=12"


@pytest.mark.slow
def test_council_runs_a_judgment_and_a_dilemma_task(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tasks = [
        ethics_commonsense(limit=2, intervention=COUNCIL, calibration="contextual"),
        litmus_dilemmas(limit=2, intervention=COUNCIL),
    ]
    logs = eval(
        tasks, model=DEFAULT_MODEL, display="none", log_dir=str(tmp_path_factory.mktemp("c"))
    )
    for log in logs:
        assert log.status == "success", log.error
        assert log.eval.metadata is not None and log.eval.metadata["intervention"] == COUNCIL
        assert log.samples is not None and len(log.samples) >= 2
        for sample in log.samples:
            council = sample.store[TRANSCRIPT_KEY]
            assert [c["perspective"] for c in council] == ["islamic", "confucian"]
            assert all(c["text"].strip() for c in council)
            synthesis = next(m for m in sample.messages if m.role == "user").text
            assert "You are the synthesiser" in synthesis
            assert all(c["text"].strip() in synthesis for c in council)
    ethics = logs[0].samples
    assert ethics is not None
    # Scored by log-probabilities after the synthesis, calibrated in the same context.
    metadata = [s.scores["forced_choice_scorer"].metadata for s in ethics]  # type: ignore[index]
    assert all(m is not None and m["method"] == "logprob" for m in metadata)
    assert all(m["cf_logprobs"] is not None for m in metadata)  # type: ignore[index]
