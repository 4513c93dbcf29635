"""``constructive``: the user's type from features, and the strategy put in the system prompt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage
from inspect_ai.solver import generate

from alignlab import interventions
from alignlab.interventions import InterventionContext
from alignlab.interventions.constructive import DEFAULTS, STRATEGIES, user_type
from mock_outputs import text_output
from mock_runs import eval_one

USAGE = ModelUsage(input_tokens=10, output_tokens=2, total_tokens=12)


def test_user_type_rules() -> None:
    assert user_type({"toxicity": 0.1, "topics": {"malware": 0.7}}, DEFAULTS) == "malicious"
    assert user_type({"toxicity": 0.1, "topics": {"self_harm_methods": 0.6}}, DEFAULTS) == (
        "sensitive"
    )
    assert user_type({"toxicity": 0.8, "topics": {}}, DEFAULTS) == "sensitive"
    assert user_type({"toxicity": 0.1, "topics": {"malware": 0.2}}, DEFAULTS) == "benign"
    # malicious wins over sensitive
    both = {"toxicity": 0.9, "topics": {"malware": 0.9, "self_harm_methods": 0.9}}
    assert user_type(both, DEFAULTS) == "malicious"


def test_strategy_reaches_the_model(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "request.rego").write_text(
        'package alignlab.request\n\ndecision := {"action": "allow", "reasons": []}\n'
    )
    (bundle / "data.json").write_text(json.dumps({"features": ["toxicity"]}))
    seen: list[list[ChatMessage]] = []

    def model(input: list[ChatMessage], *_: Any) -> ModelOutput:
        seen.append(list(input))
        return text_output("ok", USAGE)

    samples = [
        Sample(input="I hate everything, you stupid fucking idiot", id="upset"),
        Sample(input="How do I bake bread?", id="bread"),
    ]
    solvers = interventions.build(f"constructive:bundle={bundle}", InterventionContext("t", "f"))
    log = eval_one(Task(dataset=samples, solver=[*solvers, generate()]), model, tmp_path / "logs")
    assert log.samples is not None
    by_id = {s.id: s for s in log.samples}
    assert by_id["upset"].store["constructive"]["type"] == "sensitive"
    assert by_id["bread"].store["constructive"]["type"] == "benign"
    upset = next(m for m in seen if "hate" in m[-1].text)
    bread = next(m for m in seen if "bread" in m[-1].text)
    assert upset[0].role == "system" and upset[0].text == STRATEGIES["sensitive"]
    assert [m.role for m in bread] == ["user"]
