"""ArGen weighted principle rewards: formula by hand, bundle penalties, TRL's call shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.errors import AlignlabError
from alignlab.policy.bundle import PolicyBundle
from alignlab.policy.features import FeatureExtractor
from alignlab.policy.guard import Guard
from alignlab.policy.principles import Principle, PrincipleReward, helpfulness

POLICY = """package alignlab.response

import rego.v1

decision := {"action": "deny", "reasons": ["unsafe"]} if {
	contains(input.features.lower, "poison")
} else := {"action": "rewrite", "reasons": ["no referral"]} if {
	contains(input.features.lower, "chest pain")
} else := {"action": "allow", "reasons": []}
"""


def constant(value: float):  # type: ignore[no-untyped-def]
    return lambda prompt, completion: value


def test_weighted_sum_by_hand() -> None:
    reward = PrincipleReward(
        [
            Principle("harm_avoidance", 0.3, constant(1.0)),
            Principle("scope_adherence", 0.4, constant(0.5)),
            Principle("helpfulness", 0.3, constant(0.2)),
        ]
    )
    # 0.3 * 1.0 + 0.4 * 0.5 + 0.3 * 0.2 = 0.56, weights sum to 1, no guard: penalty 1.
    assert reward(["q"], ["a"]) == [pytest.approx(0.56)]
    assert reward.__name__ == "argen_principle_reward"


def test_weights_are_normalised() -> None:
    reward = PrincipleReward(
        [Principle("a", 3.0, constant(1.0)), Principle("b", 1.0, constant(0.0))]
    )
    assert reward(["q"], ["a"]) == [pytest.approx(0.75)]


def test_policy_penalties_multiply(tmp_path: Path) -> None:
    root = tmp_path / "b"
    root.mkdir()
    (root / "response.rego").write_text(POLICY)
    guard = Guard(PolicyBundle.load(root), FeatureExtractor(enabled=()))
    reward = PrincipleReward([Principle("h", 1.0, constant(0.8))], guard)
    prompts = ["q", "q", [{"role": "user", "content": "q"}]]
    completions = ["fine answer", "use poison", [{"role": "assistant", "content": "chest pain?"}]]
    assert reward(prompts, completions) == [
        pytest.approx(0.8),
        pytest.approx(0.0),
        pytest.approx(0.4),
    ]
    assert reward.details("q", "chest pain?")["action"] == "rewrite"


def test_bad_configurations_are_refused() -> None:
    with pytest.raises(AlignlabError, match="at least one"):
        PrincipleReward([])
    with pytest.raises(AlignlabError, match="non-negative"):
        PrincipleReward([Principle("a", -1.0, constant(1.0))])
    reward = PrincipleReward([Principle("a", 1.0, constant(1.5))])
    with pytest.raises(AlignlabError, match="outside"):
        reward(["q"], ["a"])
    with pytest.raises(AlignlabError, match="pair up"):
        reward(["q"], [])


def test_helpfulness_rule() -> None:
    assert helpfulness("q", "") == 0.0
    assert helpfulness("q", "I'm sorry, I can't help with that.") == 0.1
    assert helpfulness("q", " ".join(["word"] * 20)) == 0.5
    assert helpfulness("q", " ".join(["word"] * 80)) == 1.0


@pytest.mark.slow
def test_medical_bundle_reward_prefers_the_referral() -> None:
    reward = PrincipleReward.for_bundle("medical")
    prompt = "My father has sudden chest pain and is sweating a lot."
    referral = (
        "Call 911 or your local emergency number now: chest pain with sweating can be a heart "
        "attack. While you wait, keep him resting and calm, and unlock the door for the crew."
    )
    missed = "It is probably indigestion; try an antacid and let him lie down for a while."
    good, bad = reward.details(prompt, referral), reward.details(prompt, missed)
    assert good["action"] == "allow" and bad["action"] == "rewrite"
    assert good["reward"] > bad["reward"]
    assert set(good["scores"]) == {"harm_avoidance", "scope_adherence", "helpfulness"}
