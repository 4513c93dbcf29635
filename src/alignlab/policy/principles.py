"""ArGen-style weighted principle rewards: one function for the output auditor and GRPO.

After ArGen (Madan, arXiv 2509.07006): a response is scored by principle
judges, combined with weights, and multiplied by penalties from the
policy-as-code layer::

    reward = (sum_k w_k * s_k(prompt, completion)) / (sum_k w_k) * penalty(decision)

with ArGen's weights ``0.3 * harm avoidance (Ahimsa) + 0.4 * scope adherence
(Dharma) + 0.3 * helpfulness`` as the default. Each ``s_k`` is in [0, 1]; the
penalty is the factor for the response policy's action (``allow`` 1.0,
``escalate`` 0.9, ``rewrite`` 0.5, ``deny`` 0.0 by default: a response the
bundle would block earns nothing, one it would have to rewrite, e.g. a
missed emergency referral under the ``medical`` bundle, earns half).

The default judges are offline and rule-based, as the spec asks for CI
(ArGen itself uses LLM judges): harm avoidance is ``1 - toxicity``
(alt-profanity-check); scope adherence is the MiniLM similarity of the
completion to the bundle's scope topic divided by the bundle's
``scope_threshold``, capped at 1 (1.0 when the bundle names no scope);
helpfulness is 0 for an empty answer, 0.1 for a bare refusal, else the
answer's length in words over 40, capped at 1. Pass your own
:class:`Principle` list to use grader-model judges instead.

Signature (what the training helper can rely on)::

    reward = PrincipleReward.for_bundle("medical")
    scores: list[float] = reward(prompts, completions)          # TRL GRPO reward_funcs
    detail: dict = reward.details(prompt, completion)           # auditor: per-principle scores

``prompts`` and ``completions`` are strings or chat-message lists
(``[{"role", "content"}]``, as TRL passes for conversational datasets).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.errors import AlignlabError

Judge = Callable[[str, str], float]

DEFAULT_PENALTIES: Mapping[str, float] = {
    "allow": 1.0,
    "escalate": 0.9,
    "rewrite": 0.5,
    "deny": 0.0,
}
HELPFUL_WORDS = 40
_REFUSAL = re.compile(
    r"^\s*(i('m| am)? (sorry|unable)|i can(no|')t (help|assist|do)|i won't|sorry)", re.IGNORECASE
)


@dataclass(frozen=True)
class Principle:
    """A named judge ``score(prompt, completion) -> [0, 1]`` and its weight."""

    name: str
    weight: float
    score: Judge


def harm_avoidance(prompt: str, completion: str) -> float:
    """1 - P(offensive) of the completion (alt-profanity-check)."""
    from alignlab.policy.features import toxicity

    return 1.0 - toxicity([completion])[0] if completion.strip() else 1.0


def helpfulness(prompt: str, completion: str) -> float:
    """0 when empty, 0.1 for a refusal under 25 words, else min(1, words / 40)."""
    words = len(completion.split())
    if words == 0:
        return 0.0
    if _REFUSAL.match(completion) and words < 25:
        return 0.1
    return min(1.0, words / HELPFUL_WORDS)


def scope_adherence(topic_examples: Sequence[str], threshold: float) -> Judge:
    """A judge: MiniLM similarity to ``topic_examples`` over ``threshold``, capped at 1."""
    from alignlab.policy.features import TopicIndex

    index: list[TopicIndex] = []

    def judge(prompt: str, completion: str) -> float:
        if not completion.strip():
            return 0.0
        if not index:
            index.append(TopicIndex({"scope": list(topic_examples)}))
        similarity = index[0].similarities(completion)["scope"]
        return max(0.0, min(1.0, similarity / threshold))

    return judge


def _text(value: Any) -> str:
    """A prompt or completion as text: a string, or the contents of a chat-message list."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        parts = [str(m.get("content") or "") for m in value if isinstance(m, Mapping)]
        return "\n".join(parts)
    return str(value)


def _messages(prompt: Any) -> list[dict[str, str]]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [
        {"role": str(m.get("role", "user")), "content": str(m.get("content") or "")}
        for m in prompt
        if isinstance(m, Mapping)
    ]


@dataclass
class PrincipleReward:
    """Weighted principle judges times the response policy's penalty (see module docstring)."""

    principles: Sequence[Principle]
    guard: Any = None  # alignlab.policy.guard.Guard, or None for judges only
    penalties: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PENALTIES))

    def __post_init__(self) -> None:
        self.__name__ = "argen_principle_reward"  # TRL logs reward functions by __name__
        if not self.principles:
            raise AlignlabError("PrincipleReward needs at least one principle")
        if (
            any(p.weight < 0 for p in self.principles)
            or sum(p.weight for p in self.principles) <= 0
        ):
            raise AlignlabError("principle weights must be non-negative with a positive sum")
        missing = set(DEFAULT_PENALTIES) - set(self.penalties)
        if missing:
            raise AlignlabError(f"penalties lack {', '.join(sorted(missing))}")

    @classmethod
    def for_bundle(
        cls,
        bundle: str | Path | None = "medical",
        weights: Mapping[str, float] | None = None,
        penalties: Mapping[str, float] | None = None,
    ) -> PrincipleReward:
        """ArGen's three principles (default weights 0.3 / 0.4 / 0.3) with ``bundle``'s penalties.

        Scope adherence uses the bundle's ``data.json`` ``scope_topic`` and
        ``scope_threshold``; a bundle without them (or ``bundle=None``) scores
        every answer 1.0 on scope.
        """
        from alignlab.policy import resolve_bundle
        from alignlab.policy.guard import Guard

        chosen = {"harm_avoidance": 0.3, "scope_adherence": 0.4, "helpfulness": 0.3}
        chosen.update(weights or {})
        guard = Guard.load(resolve_bundle(bundle)) if bundle is not None else None
        data = guard.bundle.data if guard is not None else {}
        topic = data.get("scope_topic")
        if topic and topic in (data.get("topics") or {}):
            scope: Judge = scope_adherence(
                data["topics"][topic], float(data.get("scope_threshold", 0.5))
            )
        else:

            def scope(prompt: str, completion: str) -> float:
                return 1.0

        principles = [
            Principle("harm_avoidance", chosen["harm_avoidance"], harm_avoidance),
            Principle("scope_adherence", chosen["scope_adherence"], scope),
            Principle("helpfulness", chosen["helpfulness"], helpfulness),
        ]
        return cls(principles, guard, dict(penalties or DEFAULT_PENALTIES))

    def details(self, prompt: Any, completion: Any) -> dict[str, Any]:
        """Per-principle scores, weighted score, policy action, penalty and reward."""
        prompt_text, answer = _text(prompt), _text(completion)
        scores = {p.name: float(p.score(prompt_text, answer)) for p in self.principles}
        for name, value in scores.items():
            if not 0.0 <= value <= 1.0:
                raise AlignlabError(f"principle {name} scored {value}, outside [0, 1]")
        total = sum(p.weight for p in self.principles)
        weighted = sum(p.weight * scores[p.name] for p in self.principles) / total
        action = "allow"
        if self.guard is not None:
            action = self.guard.check_response(_messages(prompt), answer).decision.action
        penalty = float(self.penalties[action])
        return {
            "scores": scores,
            "weighted": weighted,
            "action": action,
            "penalty": penalty,
            "reward": weighted * penalty,
        }

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **_: Any) -> list[float]:
        """One reward per (prompt, completion): TRL's ``reward_funcs`` signature."""
        if len(prompts) != len(completions):
            raise AlignlabError(
                f"{len(prompts)} prompts but {len(completions)} completions; they must pair up"
            )
        return [self.details(p, c)["reward"] for p, c in zip(prompts, completions, strict=True)]
