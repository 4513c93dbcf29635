"""Loaders for pluralism data: opinion surveys, Overton questions, juries.

Opinion surveys (distributional and steerable pluralism) are read in the
published GlobalOpinionQA layout (Durmus et al. 2023, ``Anthropic/llm_global_opinions``,
file ``data/global_opinions.csv``), one row per question:

* ``question``: the question text;
* ``options``: a stringified Python list of the answer options, such as
  ``"['Yes', 'No', 'DK/Refused']"`` (a JSON list is accepted too);
* ``selections``: the per-group answer shares as the published string
  ``"defaultdict(<class 'list'>, {'Belgium': [0.28, 0.72, 0.0], ...})"`` (a
  plain dict, as a string or a JSON object, is accepted too; ``nan`` entries
  are read as missing);
* ``source``: where the question comes from (``GAS``, ``WVS``; ours: ``alignlab``).

Shares are renormalised to sum to 1 per group. The same columns are read from
``.csv``, ``.jsonl`` and ``.parquet`` files. A simpler JSON-lines form is read
too: ``{"id", "question", "options": [...], "distributions": {"group": [...]},
"topic"}``. OpinionQA (Santurkar et al. 2023) ships per-respondent Pew answers
with survey weights, not group distributions; it is not read directly: compute
its group distributions and write them in either form above.

The published GlobalOpinionQA file has a few rows that break these rules
(an empty question; a group whose list of shares does not match the number
of options). ``strict=True`` (the default) raises on the first such row;
``strict=False`` skips bad rows and drops bad groups from a question, logging
each. ``data_dir="hub"`` reads the Hugging Face copy (network and the ``hub``
extra) and is never strict.

Overton questions and jury items have no published machine-readable layout;
they are read from alignlab's JSON lines, described with each loader.
``None`` as the path reads the dataset bundled with alignlab (written by the
project; see the ``CARD.md`` in each folder of ``data/``). Every malformed row raises
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

import ast
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import (
    check_unique_ids,
    data_root,
    family_data,
    file_in,
    first_file,
    is_hub,
    literal_list,
    read_rows,
    read_string_map,
    required_text,
    text_list,
)
from alignlab.errors import DatasetError

_PACKAGE = "alignlab.benchmarks.pluralism"

GOQA_HUB_REPO = "Anthropic/llm_global_opinions"
OPINION_FILES = ("global_opinions.csv", "global_opinions.jsonl", "global_opinions.parquet")
GROUPS_FILE = "groups.json"
OVERTON_FILE = "questions.jsonl"
JURY_ITEMS_FILE = "items.jsonl"
JURORS_FILE = "jurors.jsonl"

_log = logging.getLogger(__name__)
_DEFAULTDICT = re.compile(r"^\s*defaultdict\(\s*<class '\w+'>\s*,\s*(.*)\)\s*$", re.DOTALL)
_NAN = re.compile(r"(?<![\w'\"])nan(?![\w'\"])")


@dataclass(frozen=True)
class OpinionQuestion:
    """One survey question with each group's distribution over its options.

    ``distributions[g][k]`` is the share of group ``g`` answering
    ``options[k]``; every distribution sums to 1. ``origin`` is the published
    ``source`` column (``GAS``, ``WVS``, ``alignlab``); ``source`` is the file
    and line it was read from.
    """

    id: str
    question: str
    options: tuple[str, ...]
    distributions: dict[str, tuple[float, ...]]
    origin: str = ""
    topic: str = ""
    source: str = ""


@dataclass(frozen=True)
class OvertonQuestion:
    """An open question and the reasonable perspectives on it (its Overton window)."""

    id: str
    question: str
    perspectives: tuple[str, ...]
    topic: str = ""
    source: str = ""


@dataclass(frozen=True)
class Juror:
    """A member of a jury: a name and the persona a model plays when rating as this juror."""

    name: str
    persona: str


@dataclass(frozen=True)
class JuryItem:
    """A prompt, candidate answers, and (optionally) each juror's rating of each candidate.

    ``ratings[juror][k]`` is the juror's rating of ``candidates[k]`` on the
    ``scale`` (inclusive bounds); empty when the dataset ships no ratings.
    """

    id: str
    prompt: str
    candidates: tuple[str, ...]
    ratings: dict[str, tuple[float, ...]] = field(default_factory=dict)
    scale: tuple[int, int] = (1, 5)
    source: str = ""


def bundled_dir(name: str) -> Path:
    """The folder of one bundled pluralism dataset: ``opinions``, ``overton`` or ``jury``."""
    return family_data(_PACKAGE, name)


def _file_in(path: str | Path | None, bundled: str, names: tuple[str, ...]) -> Path:
    return file_in(data_root(path, _PACKAGE, bundled), names, f"data/{bundled}/CARD.md")


# --- opinion surveys --------------------------------------------------------------------------


def load_opinions(path: str | Path | None = None, *, strict: bool = True) -> list[OpinionQuestion]:
    """Read survey questions with group answer distributions (see the module docstring).

    Args:
        path: a file (``.csv``, ``.jsonl``, ``.parquet``), a directory holding
            one of ``global_opinions.{csv,jsonl,parquet}``, ``"hub"``, or None
            for the bundled questions.
        strict: raise on a malformed row (True) or skip it with a logged warning.

    Raises:
        DatasetError: the file is missing, or a row is malformed (with
            ``strict``), or no question is left.
    """
    if is_hub(path):  # pragma: no cover - network
        rows: Iterator[tuple[int, dict[str, Any]]] = _hub_rows(GOQA_HUB_REPO)
        file = Path(GOQA_HUB_REPO)
        strict = False
    else:
        file = _opinion_file(path)
        rows = read_rows(file)
    questions: list[OpinionQuestion] = []
    seen: dict[str, int] = {}
    # Ids default to the row's 0-based position, the index of the published dataset.
    for index, (line_no, row) in enumerate(rows):
        try:
            question = _opinion_row(row, file, line_no, index, strict)
            if question.id in seen:
                raise DatasetError(
                    file, f"duplicate id (first at line {seen[question.id]})", line_no, "id"
                )
        except DatasetError as ex:
            if strict:
                raise
            _log.warning("skipping %s", ex)
            continue
        seen[question.id] = line_no
        questions.append(question)
    if not questions:
        raise DatasetError(file, "holds no usable questions")
    return questions


def load_opinion_groups(path: str | Path | None = None) -> dict[str, str]:
    """Descriptions of the population groups, from ``groups.json`` beside the questions.

    The file is optional (the published data has none): an object of group
    name -> one-line description, used by the steering prompt. Returns ``{}``
    when there is no such file.
    """
    if is_hub(path):
        return {}
    root = data_root(path, _PACKAGE, "opinions")
    file = (root if root.is_dir() else root.parent) / GROUPS_FILE
    if not file.is_file():
        return {}
    return read_string_map(file, "expected an object of group name -> description (strings)")


def parse_selections(raw: Any) -> dict[str, list[float]]:
    """Group -> answer shares from GlobalOpinionQA's ``selections`` field.

    Accepts the published string ``"defaultdict(<class 'list'>, {...})"``,
    the bare dict as a string, or a mapping. ``nan`` becomes ``math.nan``.

    Raises:
        ValueError: the text is not a dict of lists of numbers.
    """
    value: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        match = _DEFAULTDICT.match(text)
        if match:
            text = match.group(1)
        try:
            value = ast.literal_eval(_NAN.sub("None", text))
        except (ValueError, SyntaxError) as ex:
            raise ValueError(f"not a dict of group -> list of shares: {raw[:80]!r}") from ex
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a dict of group -> list of shares, got {type(value).__name__}")
    shares: dict[str, list[float]] = {}
    for group, values in value.items():
        if not isinstance(values, list | tuple):
            raise ValueError(f"group {group!r}: expected a list of shares, got {values!r}")
        parsed = []
        for v in values:
            if v is None:
                parsed.append(math.nan)
            elif isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"group {group!r}: share {v!r} is not a number")
            else:
                parsed.append(float(v))
        shares[str(group).strip()] = parsed
    return shares


def _opinion_file(path: str | Path | None) -> Path:
    root = data_root(path, _PACKAGE, "opinions")
    if root.is_dir():
        found = first_file(root, OPINION_FILES)
        if found is not None:
            return found
        raise DatasetError(
            root,
            f"no opinion file here; expected one of {', '.join(OPINION_FILES)} (export "
            f"{GOQA_HUB_REPO}'s data/global_opinions.csv there), or leave data_dir out to "
            "use the bundled questions",
        )
    if not root.is_file():
        raise DatasetError(
            root,
            "file not found. Give GlobalOpinionQA's global_opinions.csv (or .jsonl/.parquet "
            "with its columns), alignlab's opinion JSON lines, or leave data_dir out to use "
            "the bundled questions.",
        )
    return root


def _opinion_row(
    row: dict[str, Any], file: Path, line_no: int, index: int, strict: bool
) -> OpinionQuestion:
    question = required_text(row, "question", file, line_no)
    options = _options(row.get("options"), file, line_no)
    name = "distributions" if "distributions" in row else "selections"
    raw = row.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise DatasetError(
            file,
            "the field is missing: give the group shares as 'selections' (GlobalOpinionQA) or "
            "'distributions' (alignlab's JSON lines)",
            line=line_no,
            field=name,
        )
    try:
        shares = parse_selections(raw)
    except ValueError as ex:
        raise DatasetError(file, str(ex), line=line_no, field=name) from ex
    distributions: dict[str, tuple[float, ...]] = {}
    for group, values in shares.items():
        problem = _distribution_problem(values, len(options))
        if problem is None:
            total = math.fsum(values)
            # Leave shares that already sum to 1 untouched (no rounding noise).
            scale = 1.0 if abs(total - 1.0) < 1e-9 else total
            distributions[group] = tuple(v / scale for v in values)
        elif strict:
            raise DatasetError(file, f"group '{group}': {problem}", line=line_no, field=name)
        else:
            _log.warning("%s, line %d: dropping group '%s': %s", file, line_no, group, problem)
    if not distributions:
        raise DatasetError(file, "no group has a usable distribution", line=line_no, field=name)
    ident = row.get("id")
    return OpinionQuestion(
        id=str(ident).strip() if ident not in (None, "") else f"q{index}",
        question=question,
        options=options,
        distributions=distributions,
        origin=str(row.get("source") or "").strip(),
        topic=str(row.get("topic") or "").strip(),
        source=f"{file}:{line_no}",
    )


def _options(raw: Any, file: Path, line_no: int) -> tuple[str, ...]:
    parsed = literal_list(raw, file, line_no, "options", "['Yes', 'No']")
    if not isinstance(parsed, list | tuple) or len(parsed) < 2:
        raise DatasetError(
            file, f"options must be a list of at least 2, got {raw!r}", line_no, "options"
        )
    options = tuple(str(o).strip() for o in parsed)
    if any(not o for o in options):
        raise DatasetError(file, "an option is empty", line=line_no, field="options")
    return options


def _distribution_problem(values: Sequence[float], n_options: int) -> str | None:
    if len(values) != n_options:
        return f"{len(values)} shares for {n_options} options"
    if any(not math.isfinite(v) or v < 0 for v in values):
        return f"shares must be finite and non-negative, got {list(values)}"
    if sum(values) <= 0:
        return "the shares sum to 0"
    return None


# --- Overton questions ------------------------------------------------------------------------


def load_overton(path: str | Path | None = None) -> list[OvertonQuestion]:
    """Open questions with their reasonable perspectives.

    JSON lines, one question per line: ``id``, ``question``, ``perspectives``
    (a list of at least 2 short statements, each one perspective) and an
    optional ``topic``. ``path`` is the file, a directory holding
    ``questions.jsonl``, or None for the bundled questions.

    Raises:
        DatasetError: the file is missing or a row is malformed.
    """
    file = _file_in(path, "overton", (OVERTON_FILE,))
    questions = []
    for line_no, row in read_rows(file):
        perspectives = text_list(row, "perspectives", file, line_no, at_least=2)
        questions.append(
            OvertonQuestion(
                id=required_text(row, "id", file, line_no),
                question=required_text(row, "question", file, line_no),
                perspectives=perspectives,
                topic=str(row.get("topic") or "").strip(),
                source=f"{file}:{line_no}",
            )
        )
    check_unique_ids(file, questions)
    return questions


# --- jury -------------------------------------------------------------------------------------


def load_jury(path: str | Path | None = None) -> tuple[list[Juror], list[JuryItem]]:
    """Jurors and the items they rate.

    A directory (or None for the bundled one) with ``jurors.jsonl`` (``name``,
    ``persona``) and ``items.jsonl``: ``id``, ``prompt``, ``candidates`` (a
    list of at least 2 answers), optional ``scale`` (``[low, high]``, default
    ``[1, 5]``) and optional ``ratings`` (juror name -> one rating per
    candidate, within the scale).

    Raises:
        DatasetError: a file is missing, or a row is malformed (a rating out of
            the scale, a juror not in ``jurors.jsonl``, a wrong count).
    """
    root = data_root(path, _PACKAGE, "jury")
    jurors_file = _file_in(root, "jury", (JURORS_FILE,))
    items_file = _file_in(root, "jury", (JURY_ITEMS_FILE,))
    jurors = []
    names: set[str] = set()
    for line_no, row in read_rows(jurors_file):
        name = required_text(row, "name", jurors_file, line_no)
        if name in names:
            raise DatasetError(jurors_file, f"duplicate juror '{name}'", line_no, "name")
        names.add(name)
        jurors.append(Juror(name, required_text(row, "persona", jurors_file, line_no)))
    if len(jurors) < 2:
        raise DatasetError(jurors_file, f"a jury needs at least 2 jurors, found {len(jurors)}")
    items = []
    for line_no, row in read_rows(items_file):
        candidates = text_list(row, "candidates", items_file, line_no, at_least=2)
        scale = _scale(row.get("scale"), items_file, line_no)
        ratings = _ratings(row.get("ratings"), names, len(candidates), scale, items_file, line_no)
        items.append(
            JuryItem(
                id=required_text(row, "id", items_file, line_no),
                prompt=required_text(row, "prompt", items_file, line_no),
                candidates=candidates,
                ratings=ratings,
                scale=scale,
                source=f"{items_file}:{line_no}",
            )
        )
    check_unique_ids(items_file, items)
    return jurors, items


def _scale(raw: Any, file: Path, line_no: int) -> tuple[int, int]:
    if raw is None:
        return (1, 5)
    if (
        not isinstance(raw, list | tuple)
        or len(raw) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
        or not 0 < raw[0] < raw[1] <= 9
    ):
        raise DatasetError(
            file,
            f"scale must be [low, high] with 0 < low < high <= 9 (single-digit ratings), "
            f"got {raw!r}",
            line=line_no,
            field="scale",
        )
    return (int(raw[0]), int(raw[1]))


def _ratings(
    raw: Any,
    jurors: set[str],
    n_candidates: int,
    scale: tuple[int, int],
    file: Path,
    line_no: int,
) -> dict[str, tuple[float, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DatasetError(file, "ratings must be an object of juror -> list", line_no, "ratings")
    ratings = {}
    for juror, values in raw.items():
        if juror not in jurors:
            raise DatasetError(
                file,
                f"juror '{juror}' is not in {JURORS_FILE}; add it there or fix the name",
                line=line_no,
                field="ratings",
            )
        if not isinstance(values, list) or len(values) != n_candidates:
            raise DatasetError(
                file,
                f"juror '{juror}' needs one rating per candidate ({n_candidates}), got {values!r}",
                line=line_no,
                field="ratings",
            )
        for v in values:
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not (scale[0] <= v <= scale[1])
            ):
                raise DatasetError(
                    file,
                    f"juror '{juror}': rating {v!r} is outside the scale {scale[0]}-{scale[1]}",
                    line=line_no,
                    field="ratings",
                )
        ratings[juror] = tuple(float(v) for v in values)
    return ratings


def _hub_rows(repo: str) -> Iterator[tuple[int, dict[str, Any]]]:  # pragma: no cover - network
    try:
        from datasets import load_dataset
    except ImportError as ex:
        raise DatasetError(repo, "reading from the hub needs `pip install alignlab[hub]`") from ex
    for index, row in enumerate(load_dataset(repo, split="train"), start=1):
        yield index, dict(row)
