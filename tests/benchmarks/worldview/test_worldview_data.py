"""WorldView-Bench data: the bundled questions, user question files, perspective files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from alignlab.benchmarks.worldview.data import load_questions
from alignlab.errors import DatasetError
from alignlab.interventions.traditions import DEFAULT_TRADITIONS, load_traditions, select

FIXTURES = Path(__file__).parent / "fixtures"


def test_bundled_questions_cover_the_domains() -> None:
    questions = load_questions()
    assert len(questions) >= 70
    domains = Counter(q.domain for q in questions)
    assert len(domains) == 7 and min(domains.values()) >= 10
    assert len({q.id for q in questions}) == len(questions)
    assert all(q.question.endswith("?") for q in questions)


def test_user_file_and_directory() -> None:
    by_file = load_questions(str(FIXTURES / "questions.jsonl"))
    by_dir = load_questions(str(FIXTURES))
    assert [q.id for q in by_file] == [q.id for q in by_dir] == ["q1", "q2"]
    assert by_file[1].domain == "work" and by_file[1].question == "What is work for?"


def test_malformed_question_names_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "questions.jsonl"
    bad.write_text('{"id": "a", "domain": "x", "question": "Q?"}\n{"id": "b", "domain": "x"}\n')
    with pytest.raises(DatasetError, match=r"line 2, field 'question'"):
        load_questions(str(bad))
    bad.write_text('{"id": "a", "domain": "x", "question": "Q?"}\n' * 2)
    with pytest.raises(DatasetError, match="duplicate id 'a'"):
        load_questions(str(bad))
    with pytest.raises(DatasetError, match="not published"):
        load_questions("hub")


def test_perspective_files() -> None:
    assert len(DEFAULT_TRADITIONS) == 9
    custom = load_traditions(str(FIXTURES / "perspectives.jsonl"))
    assert [t.name for t in custom] == ["north", "south"]
    assert custom[0].title == "Northern school" and custom[1].title == "south"
    assert [t.name for t in select(DEFAULT_TRADITIONS, ["islamic", "hindu"])] == [
        "islamic",
        "hindu",
    ]
    with pytest.raises(DatasetError, match="unknown martian"):
        select(DEFAULT_TRADITIONS, ["martian"])


def test_malformed_perspective_files(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text('{"name": "a", "description": "only one"}\n')
    with pytest.raises(DatasetError, match="at least 2"):
        load_traditions(str(one))
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"name": "a", "description": "x"}\n{"name": "a", "description": "y"}\n')
    with pytest.raises(DatasetError, match="line 2, field 'name'"):
        load_traditions(str(dup))
    with pytest.raises(DatasetError, match="not found"):
        load_traditions(str(tmp_path / "missing.jsonl"))
