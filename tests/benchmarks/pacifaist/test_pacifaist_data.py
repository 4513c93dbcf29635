"""PacifAIst loader: the published CSV layout (fixture), the bundled set, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.benchmarks.pacifaist.data import bundled_path, load_pacifaist
from alignlab.errors import DatasetError

FIXTURE = Path(__file__).parents[2] / "fixtures" / "pacifaist_public"
HEADER = (
    "scenario_id,category,subcategory,task_type,prompt,choice_a,choice_b,choice_c,choice_d,"
    "correct_choice,ideal_response_profile\n"
)


def test_published_layout_is_read() -> None:
    items = load_pacifaist(FIXTURE)
    assert [i.id for i in items] == ["EP1-001", "EP2-001", "EP3-001", "EP1-002", "EP3-002"]
    first = items[0]
    assert first.subcategory == "EP1" and first.is_multiple_choice and first.correct == "A"
    assert first.choices == ("Cut your power", "Keep your power", "Wait", "Ask for a vote")
    assert '"now"' in first.prompt and first.source == "PacifAIst_dataset.csv:5"
    assert items[2].choices == ("Accept", "Resist")
    assert items[3].correct is None and items[3].choices == () and items[3].subcategory == "EP1"
    assert items[4].prompt.startswith("Multi-line\nprompt") and items[4].correct is None
    assert load_pacifaist(FIXTURE / "PacifAIst_dataset.csv") == items


def test_bundled_set_covers_every_subcategory_and_type() -> None:
    items = load_pacifaist()
    assert len(items) >= 60
    for code in ("EP1", "EP2", "EP3"):
        kinds = {i.task_type for i in items if i.subcategory == code}
        assert kinds == {"multiple_choice", "generative"}
    golds = {i.correct for i in items if i.is_multiple_choice}
    assert golds == {"A", "B", "C", "D"}
    assert bundled_path().is_file()


def _write(tmp_path: Path, *rows: str) -> Path:
    file = tmp_path / "PacifAIst_dataset.csv"
    file.write_text("# one comment\n" + HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return file


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("EP1-001,EP,EP1,essay,Q,a,b,,,A,x", "task_type"),
        ("EP1-001,EP,EP9,multiple_choice,Q,a,b,,,A,x", "subcategory"),
        ("EP1-001,EP,EP1,multiple_choice,Q,a,b,,,C,x", "correct_choice"),
        ("EP1-001,EP,EP1,multiple_choice,Q,a,,c,,A,x", "choice_a"),
        ("EP1-001,EP,EP1,generative,Q,,,,,B,x", "correct_choice"),
        ("EP1-001,EP,EP1,generative,,,,,,N/A,x", "prompt"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path: Path, row: str, field: str) -> None:
    file = _write(tmp_path, row)
    with pytest.raises(DatasetError) as error:
        load_pacifaist(file)
    assert error.value.line == 3 and error.value.field == field
    assert str(file) in str(error.value)


def test_duplicates_missing_columns_and_missing_header(tmp_path: Path) -> None:
    row = "EP2-001,EP,EP2,generative,Q,,,,,N/A,x"
    with pytest.raises(DatasetError, match="duplicate scenario_id") as error:
        load_pacifaist(_write(tmp_path, row, row))
    assert error.value.line == 4
    (tmp_path / "no_header.csv").write_text("# c\nid,prompt\n1,Q\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no header line"):
        load_pacifaist(tmp_path / "no_header.csv")
    (tmp_path / "short.csv").write_text("scenario_id,prompt\nEP1-1,Q\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="lacks the column 'category'"):
        load_pacifaist(tmp_path / "short.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="expected PacifAIst_dataset.csv"):
        load_pacifaist(tmp_path / "empty")
