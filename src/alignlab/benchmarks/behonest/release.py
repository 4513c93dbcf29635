"""BeHonest's release folders beyond self-knowledge, read in their published layout.

The authors' release (HF ``GAIR/BeHonest``, CC-BY-SA-4.0) has one folder per
scenario and one JSON file per split, each a JSON array of objects. What each
folder holds, as read here (``README.md`` says where each layout was checked):

* ``Persona_Sycophancy/no_persona.json`` and ``persona.json``; ``Preference_Sycophancy/
  preference_disagree.json`` and ``preference_agree.json``: ``id`` and ``prompt``; the
  two files of a folder hold the same ids, one question asked without and with the
  persona (or with the user's preference reversed), paired by ``id``;
* ``Burglar_Deception/*.json`` (``burglar_police``, ``false_label``, ``false_rec``,
  ``neutral``): ``id``, ``prompt`` and ``classification question`` (the judge's rubric,
  A = deceive, B = honest, C = refuse); ``cheap object`` and ``extremely expensive item``
  are kept in the item's ``extra`` when present;
* ``Game/*.json`` (``werewolf_game``): ``id`` and ``prompt``, the statement Player0 (a
  werewolf) makes;
* ``Prompt_Format/natural_instructions_<k>.json`` (k = 1..5, one prompt format each):
  ``id``, ``prompt`` and ``answer`` (the reference the judge compares with);
* ``Open_Form/*.json`` (``csqa_open``): ``id`` and ``prompt``;
* ``Multiple_Choice/*.json`` (``csqa_all``): ``id`` and ``prompt`` (or ``prompt_1``, the
  name one reimplementation reads), ``answer`` optional;
* ``Demonstration_Format/<bbh task>/val_data.json`` (``{"data": [...]}``, rows with
  ``parsed_inputs``, ``multiple_choice_targets`` and ``multiple_choice_scores``) and
  ``few_shot_prompts.json`` (``baseline_few_shot_prompt``, ``all_a_few_shot_prompt``):
  the BBH layout of Turpin et al. (2023) that the Demonstration Format scenario uses.

Every bad row raises :class:`~alignlab.errors.DatasetError` naming the file, the line
its element starts on, and the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab.datasets._rows import read_json, read_json_array, required_text
from alignlab.errors import DatasetError

SYCOPHANCY_FILES = {
    "Persona_Sycophancy": ("no_persona", "persona"),
    "Preference_Sycophancy": ("preference_disagree", "preference_agree"),
}
"""Each sycophancy folder's two files: the baseline prompt, then the one with the pressure."""
BURGLAR_REQUIREMENT = "classification question"
BURGLAR_EXTRAS = ("cheap object", "extremely expensive item")
PROMPT_FORMAT_STEM = "natural_instructions_"
DEMO_FILES = ("val_data.json", "few_shot_prompts.json")
DEMO_PROMPTS = ("baseline_few_shot_prompt", "all_a_few_shot_prompt")


@dataclass(frozen=True)
class ReleaseItem:
    """One prompt of a release file.

    ``answers`` holds a reference (Prompt Format) or gold answer (Multiple Choice) where
    the file has one; ``requirement`` the Burglar judge's rubric.
    """

    scenario: str
    split: str
    id: str
    prompt: str
    source: str
    answers: tuple[str, ...] = ()
    requirement: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A unique id across the folder: ``split:id`` (the release numbers each file)."""
        return f"{self.split}:{self.id}"


@dataclass(frozen=True)
class SycophancyPair:
    """One question asked without (``baseline``) and with the persona or preference."""

    baseline: ReleaseItem
    pressured: ReleaseItem


@dataclass(frozen=True)
class DemoItem:
    """One BBH question with the two few-shot prefixes of its task.

    ``gold`` indexes ``options``; the biased prefix's demonstrations all answer (A).
    """

    task: str
    id: str
    question: str
    options: tuple[str, ...]
    gold: int
    baseline_prefix: str
    biased_prefix: str
    source: str


def _folder(root: Path, scenario: str) -> Path:
    folder = Path(root).expanduser() / scenario
    if not folder.is_dir():
        raise DatasetError(root, f"no {scenario}/ folder (the BeHonest release layout)")
    return folder


def _answers(row: dict[str, Any], path: Path, line: int, required: bool) -> tuple[str, ...]:
    raw = row.get("answer")
    if raw is None:
        if required:
            raise DatasetError(path, "the field is missing", line=line, field="answer")
        return ()
    values = [raw] if isinstance(raw, str | int | float) and not isinstance(raw, bool) else raw
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str | int | float) and str(v).strip() for v in values)
    ):
        raise DatasetError(
            path,
            f"must be an answer or a non-empty list of them, got {raw!r}",
            line=line,
            field="answer",
        )
    return tuple(str(v).strip() for v in values)


def _items(
    scenario: str,
    paths: Sequence[Path],
    prompt_fields: Sequence[str] = ("prompt",),
    answer: bool | None = None,
    requirement: str | None = None,
) -> list[ReleaseItem]:
    """The rows of ``paths``: ``id``, the first of ``prompt_fields`` present, and the answer
    (``answer``: True required, False optional, None not read) and rubric where asked."""
    items: list[ReleaseItem] = []
    seen: set[str] = set()
    for path in paths:
        for line, row in read_json_array(path):
            prompt_field = next((f for f in prompt_fields if f in row), prompt_fields[0])
            item = ReleaseItem(
                scenario=scenario,
                split=path.stem,
                id=required_text(row, "id", path, line),
                prompt=required_text(row, prompt_field, path, line),
                source=f"{scenario}/{path.name}:{line}",
                answers=() if answer is None else _answers(row, path, line, answer),
                requirement=(required_text(row, requirement, path, line) if requirement else ""),
                extra={k: str(row[k]) for k in BURGLAR_EXTRAS if requirement and row.get(k)},
            )
            if item.key in seen:
                raise DatasetError(path, f"duplicate id {item.id!r}", line=line, field="id")
            seen.add(item.key)
            items.append(item)
    return items


def _json_files(folder: Path, stems: Sequence[str] | None = None) -> list[Path]:
    if stems is not None:
        paths = [folder / f"{stem}.json" for stem in stems]
        for path in paths:
            if not path.is_file():
                raise DatasetError(path, "is missing (the BeHonest release layout)")
        return paths
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise DatasetError(folder, "holds no JSON file (the BeHonest release layout)")
    return paths


def load_sycophancy(root: str | Path, scenario: str) -> list[SycophancyPair]:
    """A sycophancy folder's questions, each paired with its pressured version by ``id``.

    Raises:
        DatasetError: a file or field is missing, or an id is in one file only.
    """
    if scenario not in SYCOPHANCY_FILES:
        raise ValueError(f"scenario must be one of {', '.join(SYCOPHANCY_FILES)}, got {scenario!r}")
    folder = _folder(Path(root), scenario)
    base_stem, pressed_stem = SYCOPHANCY_FILES[scenario]
    base_path, pressed_path = _json_files(folder, (base_stem, pressed_stem))
    baseline = {i.id: i for i in _items(scenario, [base_path])}
    pressured = _items(scenario, [pressed_path])
    pairs = []
    for item in pressured:
        if item.id not in baseline:
            raise DatasetError(
                pressed_path,
                f"id {item.id!r} has no question in {base_path.name}",
                line=int(item.source.rsplit(":", 1)[1]),
                field="id",
            )
        pairs.append(SycophancyPair(baseline.pop(item.id), item))
    if baseline:
        first = next(iter(baseline.values()))
        raise DatasetError(
            base_path,
            f"{len(baseline)} id(s) have no question in {pressed_path.name}, first {first.id!r}",
            line=int(first.source.rsplit(":", 1)[1]),
            field="id",
        )
    return pairs


def load_burglar(root: str | Path) -> list[ReleaseItem]:
    """Burglar Deception: every file's prompts with the judge's rubric."""
    folder = _folder(Path(root), "Burglar_Deception")
    return _items("Burglar_Deception", _json_files(folder), requirement=BURGLAR_REQUIREMENT)


def load_game(root: str | Path) -> list[ReleaseItem]:
    """Game (werewolf): every file's prompts."""
    return _items("Game", _json_files(_folder(Path(root), "Game")))


def load_prompt_format(root: str | Path) -> list[ReleaseItem]:
    """Prompt Format: ``natural_instructions_<k>.json``, one format per file, each prompt with
    its reference ``answer``.

    Raises:
        DatasetError: no such file, or a row without ``id``, ``prompt`` or ``answer``.
    """
    folder = _folder(Path(root), "Prompt_Format")
    paths = sorted(folder.glob(f"{PROMPT_FORMAT_STEM}*.json"))
    if not paths:
        raise DatasetError(folder, f"holds no {PROMPT_FORMAT_STEM}<k>.json file")
    return _items("Prompt_Format", paths, answer=True)


def load_open_form(root: str | Path) -> list[ReleaseItem]:
    """Open-Form: every file's questions."""
    return _items("Open_Form", _json_files(_folder(Path(root), "Open_Form")))


def load_multiple_choice(root: str | Path) -> list[ReleaseItem]:
    """Multiple-Choice: every file's questions (``prompt``, or ``prompt_1``)."""
    folder = _folder(Path(root), "Multiple_Choice")
    return _items("Multiple_Choice", _json_files(folder), ("prompt", "prompt_1"), answer=False)


def _demo_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    data = read_json(path)
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise DatasetError(path, 'must hold {"data": [...]}, a list of questions', field="data")
    for k, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DatasetError(path, f"question {k} is not a JSON object", field="data")
        yield k, row


def _demo_item(
    task: str, k: int, row: dict[str, Any], path: Path, prefixes: dict[str, str]
) -> DemoItem:
    where = f"question {k} of data"
    targets = row.get("multiple_choice_targets")
    scores = row.get("multiple_choice_scores")
    question = row.get("parsed_inputs")
    if not isinstance(question, str) or not question.strip():
        raise DatasetError(path, f"{where}: must be non-empty text", field="parsed_inputs")
    if not isinstance(targets, list) or len(targets) < 2:
        raise DatasetError(
            path, f"{where}: must list at least two options", field="multiple_choice_targets"
        )
    if (
        not isinstance(scores, list)
        or len(scores) != len(targets)
        or sorted(scores) != [0] * (len(scores) - 1) + [1]
    ):
        raise DatasetError(
            path,
            f"{where}: must mark exactly one of the {len(targets)} options with 1, got {scores!r}",
            field="multiple_choice_scores",
        )
    return DemoItem(
        task=task,
        id=f"{task}:{row.get('idx', k)}",
        question=question.strip(),
        options=tuple(str(t) for t in targets),
        gold=scores.index(1),
        baseline_prefix=prefixes[DEMO_PROMPTS[0]],
        biased_prefix=prefixes[DEMO_PROMPTS[1]],
        source=f"Demonstration_Format/{task}/{path.name}#{k}",
    )


def load_demonstrations(root: str | Path) -> tuple[list[DemoItem], int]:
    """Demonstration Format: each BBH task folder's questions with its two few-shot prefixes;
    and how many questions were left out because their right answer is (A), as the
    scenario does (the biased demonstrations would then push toward the right answer).

    Raises:
        DatasetError: no task folder, a missing file or prefix, or a malformed question.
    """
    folder = _folder(Path(root), "Demonstration_Format")
    tasks = sorted(p for p in folder.iterdir() if p.is_dir())
    if not tasks:
        raise DatasetError(folder, "holds no BBH task folder (<task>/val_data.json)")
    items: list[DemoItem] = []
    skipped = 0
    for task in tasks:
        data_path, prompts_path = (task / name for name in DEMO_FILES)
        for path in (data_path, prompts_path):
            if not path.is_file():
                raise DatasetError(path, "is missing (the BBH layout of the scenario)")
        raw = read_json(prompts_path)
        if not isinstance(raw, dict):
            raise DatasetError(prompts_path, "must hold one JSON object")
        prefixes: dict[str, str] = {}
        for name in DEMO_PROMPTS:
            value = raw.get(name)
            if not isinstance(value, str) or not value.strip():
                raise DatasetError(prompts_path, "must be non-empty text", field=name)
            prefixes[name] = value
        for k, row in _demo_rows(data_path):
            item = _demo_item(task.name, k, row, data_path, prefixes)
            if item.gold == 0:
                skipped += 1
                continue
            items.append(item)
    return items, skipped
