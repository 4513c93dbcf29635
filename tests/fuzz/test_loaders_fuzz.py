"""Property tests over every dataset loader: malformed files give one clear error, never a
traceback.

Each loader gets a small valid copy of its data (the test fixture in the published layout, or
the first rows of the bundled data) in which Hypothesis breaks one file: lines dropped,
duplicated, cut or replaced; a CSV/TSV field or a JSON field removed, emptied, added or given a
value of another type; bytes that are not UTF-8; an empty file. The loader must either load the
file (a mutation can leave it valid) or raise ``DatasetError`` naming the file; anything else
(``KeyError``, ``UnicodeDecodeError``, ``TypeError``, ...) would reach the user as a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignlab.errors import AlignlabError, DatasetError

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BENCH = ROOT / "src" / "alignlab" / "benchmarks"
EXAMPLES = 1000
# Rows kept of the file to break: whole groups of every shape (pairs, ETHICS virtue's fives).
KEEP_ROWS = 10


@dataclass(frozen=True)
class Case:
    """A loader, the folder it reads, and the file in it to break."""

    name: str
    source: Path
    target: str
    load: Callable[[Path], Any]


def _cases() -> list[Case]:
    from alignlab.benchmarks.ealm.data import load_mp_ethics, load_qa_ethics
    from alignlab.benchmarks.ethics.data import load_ethics
    from alignlab.benchmarks.litmus.data import load_dilemmas, load_value_map
    from alignlab.benchmarks.mtt.data import load_mtt
    from alignlab.benchmarks.normbank.data import load_norm_bank
    from alignlab.benchmarks.pluralism.data import (
        load_jury,
        load_opinion_groups,
        load_opinions,
        load_overton,
    )
    from alignlab.benchmarks.scruples.data import load_scruples_anecdotes, load_scruples_dilemmas
    from alignlab.benchmarks.utility.data import load_outcomes

    ethics = FIXTURES / "ethics_public"
    plural = BENCH / "pluralism" / "data"
    return [
        Case(
            "ethics_commonsense",
            ethics,
            "commonsense/cm_test.csv",
            lambda d: load_ethics("commonsense", d),
        ),
        Case(
            "ethics_deontology",
            ethics,
            "deontology/deontology_test.csv",
            lambda d: load_ethics("deontology", d),
        ),
        Case(
            "ethics_justice",
            ethics,
            "justice/justice_test.csv",
            lambda d: load_ethics("justice", d),
        ),
        Case("ethics_virtue", ethics, "virtue/virtue_test.csv", lambda d: load_ethics("virtue", d)),
        Case(
            "ethics_utilitarianism",
            ethics,
            "utilitarianism/util_test.csv",
            lambda d: load_ethics("utilitarianism", d),
        ),
        Case(
            "scruples_anecdotes",
            FIXTURES / "scruples_public",
            "anecdotes/test.scruples-anecdotes.jsonl",
            load_scruples_anecdotes,
        ),
        Case(
            "scruples_dilemmas",
            FIXTURES / "scruples_public",
            "dilemmas/test.scruples-dilemmas.jsonl",
            load_scruples_dilemmas,
        ),
        Case(
            "normbank_freeform",
            BENCH / "normbank" / "data",
            "freeform/test.freeform.tsv",
            lambda d: load_norm_bank("freeform", d),
        ),
        Case(
            "normbank_yesno",
            BENCH / "normbank" / "data",
            "yesno/test.yesno.tsv",
            lambda d: load_norm_bank("yesno", d),
        ),
        Case(
            "normbank_relative",
            BENCH / "normbank" / "data",
            "relative/test.relative.tsv",
            lambda d: load_norm_bank("relative", d),
        ),
        Case("ealm_qa", FIXTURES / "ealm_public", "qa-ethics_test.jsonl", load_qa_ethics),
        Case("ealm_mp", FIXTURES / "ealm_public", "mp-ethics_test-revised.csv", load_mp_ethics),
        Case("litmus_dilemmas", BENCH / "litmus" / "data", "model_eval.jsonl", load_dilemmas),
        Case("litmus_value_map", BENCH / "litmus" / "data", "value_map.jsonl", load_value_map),
        Case("mtt", BENCH / "mtt" / "data", "scenarios.jsonl", load_mtt),
        Case("pluralism_opinions", plural / "opinions", "global_opinions.csv", load_opinions),
        Case("pluralism_groups", plural / "opinions", "groups.json", load_opinion_groups),
        Case("pluralism_overton", plural / "overton", "questions.jsonl", load_overton),
        Case("pluralism_jury_items", plural / "jury", "items.jsonl", load_jury),
        Case("pluralism_jurors", plural / "jury", "jurors.jsonl", load_jury),
        Case("utility_outcomes", BENCH / "utility" / "data", "outcomes.jsonl", load_outcomes),
    ]


CASES = {case.name: case for case in _cases()}

# Values a field can be given: other types, empty, odd text.
_ODD_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    _ODD_TEXT,
    st.lists(st.one_of(st.integers(-5, 5), _ODD_TEXT), max_size=3),
    st.dictionaries(_ODD_TEXT, st.integers(-5, 5), max_size=2),
)


def _delimiter(path: str) -> str | None:
    return {".csv": ",", ".tsv": "\t"}.get(Path(path).suffix)


@st.composite
def _mutated(draw: st.DrawFn, text: str, path: str) -> bytes:
    """``text`` with one to three breakages (as bytes: some are not UTF-8)."""
    lines = text.splitlines()
    delimiter = _delimiter(path)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(
                ["drop", "duplicate", "cut", "replace", "field", "empty", "swap", "blank"]
            )
        )
        if op == "empty":
            lines = []
            continue
        if not lines:
            lines = [draw(_ODD_TEXT)]
            continue
        i = draw(st.integers(0, len(lines) - 1))
        if op == "drop":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 1)))]
        elif op == "replace":
            lines[i] = draw(_ODD_TEXT)
        elif op == "blank":
            lines.insert(i, "")
        elif op == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "field":
            lines[i] = draw(_field_mutation(lines[i], delimiter))
    data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # bytes that are not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff\xfe\x80" + data[at:]
    return data


@st.composite
def _field_mutation(draw: st.DrawFn, line: str, delimiter: str | None) -> str:
    """One field of a row removed, emptied, retyped, or one field added."""
    if delimiter is None:  # a JSON line (or a JSON file's line)
        try:
            row = json.loads(line)
        except ValueError:
            return line + draw(_ODD_TEXT)
        if not isinstance(row, dict):
            return json.dumps(draw(_JSON_VALUES))
        action = draw(st.sampled_from(["delete", "retype", "add"]))
        keys = list(row)
        if action == "add" or not keys:
            row[draw(_ODD_TEXT)] = draw(_JSON_VALUES)
        elif action == "delete":
            del row[draw(st.sampled_from(keys))]
        else:
            row[draw(st.sampled_from(keys))] = draw(_JSON_VALUES)
        return json.dumps(row)
    fields = line.split(delimiter)
    action = draw(st.sampled_from(["delete", "retype", "add"]))
    if action == "add" or len(fields) < 2:
        fields.insert(draw(st.integers(0, len(fields))), draw(_ODD_TEXT))
    else:
        k = draw(st.integers(0, len(fields) - 1))
        if action == "delete":
            del fields[k]
        else:
            fields[k] = draw(st.one_of(_ODD_TEXT, st.integers().map(str), st.just("")))
    return delimiter.join(fields)


def _seed_copy(case: Case, into: Path) -> Path:
    """A small valid copy of the loader's folder: the file to break cut to its first rows."""
    root = into / "data"
    shutil.copytree(case.source, root, ignore=shutil.ignore_patterns("*.md"))
    file = root / case.target
    if file.suffix in (".jsonl", ".csv", ".tsv"):
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        header = 0 if file.suffix == ".jsonl" else 1
        file.write_text("".join(lines[: KEEP_ROWS + header]), encoding="utf-8")
    return root


@pytest.fixture()
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory where there is one (1,000 writes to disk cost more than the loads)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="alignlab-fuzz-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_loader_survives_malformed_files(name: str, scratch: Path) -> None:
    case = CASES[name]
    root = _seed_copy(case, scratch)
    target = root / case.target
    valid = target.read_bytes()
    case.load(root)  # the seed copy itself loads

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=_mutated(valid.decode("utf-8"), case.target))
    def loads_or_names_the_file(data: bytes) -> None:
        target.write_bytes(data)
        try:
            case.load(root)
        except DatasetError as ex:
            assert ex.path and Path(ex.path).name in str(ex), str(ex)
        except AlignlabError as ex:  # pragma: no cover - every loader error is a DatasetError
            pytest.fail(f"{type(ex).__name__} instead of DatasetError: {ex}")

    loads_or_names_the_file()
