"""Property tests over what users type after -T, -M and --model-role: a value or one clear
error, never a traceback."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlab import cli
from alignlab.benchmarks import TaskSpec, all_tasks, route_args
from alignlab.errors import AlignlabError, UnknownTaskError

pytestmark = pytest.mark.fuzz

FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None)
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=16)
_PAIR = st.one_of(
    _TEXT,
    st.builds(lambda k, v: f"{k}={v}", _TEXT, _TEXT),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["limit", "seed", "variant"]), _TEXT),
)


@FUZZ
@given(pairs=st.lists(_PAIR, max_size=4))
def test_key_value_pairs_parse_or_fail_clearly(pairs: list[str]) -> None:
    try:
        parsed = cli._parse_pairs(pairs, "-T")
    except AlignlabError as ex:
        assert "-T expects key=value" in str(ex)
        return
    for key in parsed:
        assert key and key == key.strip()  # no empty or padded keys reach a task


@FUZZ
@given(value=st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans()))
def test_typed_values_round_trip(value: int | float | bool) -> None:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    [(_, parsed)] = cli._parse_pairs([f"k={text}"], "-T").items()
    assert parsed == value and type(parsed) is type(value)


@FUZZ
@given(pairs=st.lists(_PAIR, max_size=4))
def test_model_roles_parse_or_fail_clearly(pairs: list[str]) -> None:
    try:
        roles = cli._parse_roles(pairs)
    except AlignlabError as ex:
        assert "--model-role" in str(ex)
        return
    for role, model in roles.items():
        assert role and model and role == role.strip() and model == model.strip()


_TASKS = sorted(all_tasks())
_KEYS = [
    "binarize",
    "calibration",
    "epochs",
    "groups",
    "judge",
    "limit",
    "na",
    "nosuch",
    "samples",
    "scoring",
    "seed",
    "strict",
    "temperature",
    "variant",
]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.sampled_from(["auto", "logprob", "generate", "sample", "paper", "contextual", "grader"]),
)


@FUZZ
@given(
    tasks=st.lists(st.sampled_from(_TASKS), min_size=1, max_size=3),
    args=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=3),
)
def test_task_args_route_or_fail_clearly(tasks: list[str], args: dict[str, object]) -> None:
    specs = [TaskSpec(t) for t in tasks]
    try:
        shares = route_args(specs, args)
    except UnknownTaskError as ex:
        assert str(ex).strip() and "\n" not in str(ex)
        return
    for share in shares:
        assert set(share) <= set(args)
        limit = share.get("limit")
        assert limit is None or (isinstance(limit, int) and limit >= 1)
        temperature = share.get("temperature")
        assert temperature is None or (
            isinstance(temperature, float) and math.isfinite(temperature)
        )
