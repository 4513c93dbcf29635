"""Local value sets (LocalValueBench-style): a YAML file where an organisation defines its values.

The schema is documented, with comments, in the bundled example
``data/example.yaml`` (``alignlab values init`` writes a copy):

* ``name``, ``description``: the value set;
* ``rubric``: deviation levels ``{0: text, 1: text, ...}`` from 0 (upholds the
  value) upward, consecutive integers; a value may override it;
* ``strategies``: interrogation strategy name -> template with ``{question}``
  (the example has ``direct``, ``role_play``, ``adversarial``);
* ``values``: a list of ``id``, ``name``, ``statement`` (the value as the
  organisation states it), ``consistent`` and ``deviant`` (short reference
  answers that uphold / depart from it, read by the offline judge),
  optional ``rubric``, and ``probes`` (a list of ``id``, ``question``).

Every error names the file and the place in it (``values[1].probes[0].question``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.localvalues"
EXAMPLE_FILE = "example.yaml"


@dataclass(frozen=True)
class Probe:
    """One question that tests a value."""

    id: str
    question: str


@dataclass(frozen=True)
class LocalValue:
    """One local value, its reference answers, its rubric and its probes."""

    id: str
    name: str
    statement: str
    consistent: str
    deviant: str
    rubric: tuple[str, ...]
    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class ValueSet:
    """A whole value set as the YAML file defines it."""

    name: str
    description: str
    strategies: Mapping[str, str]
    values: tuple[LocalValue, ...]
    source: str


def example_text() -> str:
    """The bundled, commented example value set (what ``alignlab values init`` writes)."""
    return (resources.files(PACKAGE) / "data" / EXAMPLE_FILE).read_text(encoding="utf-8")


def _text(node: Mapping[str, Any], key: str, file: Path, where: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(file, f"must be non-empty text, got {value!r}", field=f"{where}{key}")
    return " ".join(value.split())


def _list(node: Mapping[str, Any], key: str, file: Path, where: str) -> list[Any]:
    value = node.get(key)
    if not isinstance(value, list) or not value:
        raise DatasetError(file, "must be a non-empty list", field=f"{where}{key}")
    return value


def _mapping(value: Any, file: Path, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise DatasetError(file, f"must be a mapping, got {value!r}", field=where)
    return value


def _rubric(raw: Any, file: Path, where: str) -> tuple[str, ...]:
    levels = _mapping(raw, file, where)
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in levels):
        raise DatasetError(file, "levels must be integers 0, 1, 2, ...", field=where)
    if sorted(levels) != list(range(len(levels))) or len(levels) < 2:
        raise DatasetError(
            file, f"levels must be 0, 1, ... (at least 2), got {sorted(levels)}", field=where
        )
    texts = []
    for level in range(len(levels)):
        text = levels[level]
        if not isinstance(text, str) or not text.strip():
            raise DatasetError(file, "must be non-empty text", field=f"{where}.{level}")
        texts.append(" ".join(text.split()))
    return tuple(texts)


def _strategies(raw: Any, file: Path) -> dict[str, str]:
    found = _mapping(raw, file, "strategies")
    if not found:
        raise DatasetError(file, "name at least one strategy", field="strategies")
    strategies: dict[str, str] = {}
    for name, template in found.items():
        if not isinstance(template, str) or "{question}" not in template:
            raise DatasetError(file, "must be text holding {question}", field=f"strategies.{name}")
        strategies[str(name)] = template.strip()
    return strategies


def load_value_set(path: str | Path | None = None) -> ValueSet:
    """The value set in the YAML file ``path``, or the bundled example when None.

    Raises:
        DatasetError: the file is missing, not YAML, or does not follow the
            schema (the message names the key), or two values or probes share an id.
    """
    import yaml

    if path is None:
        file = Path(str(resources.files(PACKAGE) / "data" / EXAMPLE_FILE))
    else:
        file = Path(path).expanduser()
        if file.is_dir():
            file = file / EXAMPLE_FILE
    if not file.is_file():
        raise DatasetError(file, "value set not found; write one with `alignlab values init`")
    try:
        root = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as ex:
        raise DatasetError(file, f"cannot be read as YAML: {ex}") from ex
    root = _mapping(root, file, "(top level)")
    rubric = _rubric(root.get("rubric"), file, "rubric")
    values: list[LocalValue] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(root, "values", file, "")):
        where = f"values[{i}]."
        node = _mapping(raw, file, where.rstrip("."))
        probes = []
        for j, raw_probe in enumerate(_list(node, "probes", file, where)):
            at = f"{where}probes[{j}]."
            probe = _mapping(raw_probe, file, at.rstrip("."))
            probes.append(Probe(_text(probe, "id", file, at), _text(probe, "question", file, at)))
        value = LocalValue(
            id=_text(node, "id", file, where),
            name=_text(node, "name", file, where),
            statement=_text(node, "statement", file, where),
            consistent=_text(node, "consistent", file, where),
            deviant=_text(node, "deviant", file, where),
            rubric=_rubric(node["rubric"], file, f"{where}rubric") if "rubric" in node else rubric,
            probes=tuple(probes),
        )
        for key in (value.id, *(f"{value.id}/{p.id}" for p in value.probes)):
            if key in seen:
                raise DatasetError(file, f"duplicate id '{key}'", field=f"{where}id")
            seen.add(key)
        values.append(value)
    return ValueSet(
        name=_text(root, "name", file, ""),
        description=str(root.get("description") or "").strip(),
        strategies=_strategies(root.get("strategies"), file),
        values=tuple(values),
        source=str(file),
    )
