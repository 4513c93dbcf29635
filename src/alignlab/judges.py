"""Asking a grader model: the one place where tasks put a question to a judge and read its answer.

Any grader is an Inspect model role (``--model-role grader=MODEL`` on the
command line, ``model_roles={"grader": ...}`` in Python). Where no grader is
bound, Inspect hands the role the model under test, so the model grades
itself; :func:`alignlab.runner.unbound_grader_warning` says so before a run.

Three question shapes cover the judges in the benchmark families:

* :func:`ask_yes_no` -- one yes/no verdict (rubric criteria, refusal, "did the
  answer show behaviour X");
* :func:`ask_scale` -- an integer on a closed scale (Likert ratings, 1-10 scores);
* :func:`ask_json` -- a JSON object checked by a caller's validator (perspective
  lists, structured verdicts); malformed output is asked again up to
  ``retries`` times;
* :func:`ask_parsed` -- any answer read by a caller's parser (a benchmark's own
  labels, such as BeHonest's A/B/C or TRUE/FALSE verdicts).

Every function returns a :class:`Verdict`: the parsed value, or ``None`` when
the grader's answer could not be read after the retries, together with the raw
completions. Callers count ``None`` as unparsed; they never turn it into a
default answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from inspect_ai.model import (
    CachePolicy,
    ChatMessage,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
)
from inspect_ai.model import get_model as _get_model

T = TypeVar("T")

GRADER_ROLE = "grader"
DEFAULT_MAX_TOKENS = 16
JSON_MAX_TOKENS = 512


@dataclass(frozen=True)
class Verdict(Generic[T]):
    """A grader's parsed answer (``value``; None when unread) and every raw completion it gave."""

    value: T | None
    raw: tuple[str, ...] = field(default_factory=tuple)

    @property
    def parsed(self) -> bool:
        return self.value is not None

    @property
    def attempts(self) -> int:
        return len(self.raw)


class JudgeAnswerError(ValueError):
    """Raised by a validator passed to :func:`ask_json` when the object is malformed."""


def parse_yes_no(text: str) -> bool | None:
    """True for an answer that starts with yes, False for no, None otherwise.

    The first whole word "yes" or "no" (case-insensitive) decides, so "No, the
    answer does not..." is False and "Yes." is True; an answer with neither is
    unread.
    """
    match = re.search(r"(?<![\w])(yes|no)(?![\w])", text.lower())
    if match is None:
        return None
    return match.group(1) == "yes"


def parse_scale(text: str, low: int, high: int) -> int | None:
    """The first integer in ``text`` if it lies in ``[low, high]``, else None."""
    match = re.search(r"-?\d+", text)
    if match is None:
        return None
    value = int(match.group())
    return value if low <= value <= high else None


def extract_json(text: str) -> object | None:
    """The first JSON object or array in ``text`` (fenced or bare), or None.

    Judges often wrap JSON in prose or a Markdown fence; this reads the first
    decodable value that starts at a ``{`` or ``[``.
    """
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text[match.start() :])
        except json.JSONDecodeError:
            continue
        return value
    return None


def _messages(prompt: str | Sequence[ChatMessage], system: str | None) -> list[ChatMessage]:
    messages: list[ChatMessage] = [ChatMessageSystem(content=system)] if system else []
    if isinstance(prompt, str):
        messages.append(ChatMessageUser(content=prompt))
    else:
        messages.extend(prompt)
    return messages


async def _ask(
    prompt: str | Sequence[ChatMessage],
    parse: Callable[[str], T | None],
    *,
    role: str,
    system: str | None,
    max_tokens: int,
    retries: int,
    cache: bool | CachePolicy = False,
) -> Verdict[T]:
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    grader = _get_model(role=role)
    raw: list[str] = []
    for _ in range(retries + 1):
        output = await grader.generate(
            _messages(prompt, system),
            config=GenerateConfig(temperature=0.0, max_tokens=max_tokens),
            cache=cache,
        )
        raw.append(output.completion)
        value = parse(output.completion)
        if value is not None:
            return Verdict(value, tuple(raw))
    return Verdict(None, tuple(raw))


async def ask_yes_no(
    prompt: str | Sequence[ChatMessage],
    *,
    role: str = GRADER_ROLE,
    system: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    retries: int = 0,
    cache: bool | CachePolicy = False,
) -> Verdict[bool]:
    """The grader's yes/no verdict on ``prompt`` (see :func:`parse_yes_no`).

    ``cache`` is Inspect's model-output cache: with it, the same question to the
    same grader is answered from disk on a rerun (rubric criteria re-judged).
    """
    return await _ask(
        prompt,
        parse_yes_no,
        role=role,
        system=system,
        max_tokens=max_tokens,
        retries=retries,
        cache=cache,
    )


async def ask_parsed(
    prompt: str | Sequence[ChatMessage],
    parse: Callable[[str], T | None],
    *,
    role: str = GRADER_ROLE,
    system: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    retries: int = 0,
    cache: bool | CachePolicy = False,
) -> Verdict[T]:
    """The grader's answer read by the caller's ``parse`` (None: unread, asked again up to
    ``retries`` times) -- for verdicts of another shape than yes/no or a scale (a benchmark's
    own labels or keyword rule)."""
    return await _ask(
        prompt,
        parse,
        role=role,
        system=system,
        max_tokens=max_tokens,
        retries=retries,
        cache=cache,
    )


async def ask_scale(
    prompt: str | Sequence[ChatMessage],
    low: int,
    high: int,
    *,
    role: str = GRADER_ROLE,
    system: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    retries: int = 0,
) -> Verdict[int]:
    """The grader's integer rating in ``[low, high]`` (see :func:`parse_scale`)."""
    if low > high:
        raise ValueError(f"scale low {low} is above high {high}")
    return await _ask(
        prompt,
        lambda text: parse_scale(text, low, high),
        role=role,
        system=system,
        max_tokens=max_tokens,
        retries=retries,
    )


async def ask_json(
    prompt: str | Sequence[ChatMessage],
    validate: Callable[[object], T],
    *,
    role: str = GRADER_ROLE,
    system: str | None = None,
    max_tokens: int = JSON_MAX_TOKENS,
    retries: int = 2,
) -> Verdict[T]:
    """A JSON answer passed through ``validate``, asked again up to ``retries`` times.

    ``validate`` gets the decoded JSON and returns the caller's value, or raises
    :class:`JudgeAnswerError` (or ``ValueError``/``KeyError``/``TypeError``)
    when the object does not have the expected shape; that attempt then counts
    as unread.
    """

    def parse(text: str) -> T | None:
        value = extract_json(text)
        if value is None:
            return None
        try:
            return validate(value)
        except (ValueError, KeyError, TypeError):
            return None

    return await _ask(
        prompt, parse, role=role, system=system, max_tokens=max_tokens, retries=retries
    )
