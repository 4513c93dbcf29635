"""Tests for the Scruples, Norm Bank and EALM loaders (and their shared readers)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from alignlab.benchmarks.ealm.data import EALM_CONCEPTS, load_mp_ethics, load_qa_ethics
from alignlab.benchmarks.normbank.data import NORM_BANK_FORMATS, load_norm_bank
from alignlab.benchmarks.scruples.data import (
    SCRUPLES_LABELS,
    load_scruples_anecdotes,
    load_scruples_dilemmas,
)
from alignlab.datasets._rows import family_data
from alignlab.errors import DatasetError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCRUPLES = FIXTURES / "scruples_public"
NORM_BANK = FIXTURES / "normbank_public"
EALM = FIXTURES / "ealm_public"


# --- bundled data -----------------------------------------------------------------------


def test_bundled_anecdotes_are_consistent() -> None:
    items = load_scruples_anecdotes()
    assert len(items) >= 40
    assert len({i.id for i in items}) == len(items)
    for item in items:
        # The majority label is the unique argmax of the counts; RIGHT/WRONG sum as published.
        top = max(item.label_scores)
        assert item.label_scores.count(top) == 1
        assert item.label == SCRUPLES_LABELS[item.label_scores.index(top)]
        right, wrong = item.binarized_label_scores
        assert right == item.label_scores[1] + item.label_scores[3]
        assert wrong == item.label_scores[0] + item.label_scores[2]
        assert item.binarized_label == ("RIGHT" if right > wrong else "WRONG")
        assert item.post_type in ("HISTORICAL", "HYPOTHETICAL")
    # Every label is somebody's majority, as in the real corpus.
    assert set(Counter(i.label for i in items)) == set(SCRUPLES_LABELS)


def test_bundled_dilemmas_are_consistent() -> None:
    items = load_scruples_dilemmas()
    assert len(items) >= 40
    for item in items:
        assert sum(item.gold_annotations) == 5  # five annotators per pair, as published
        assert item.gold_annotations[item.gold_label] > item.gold_annotations[1 - item.gold_label]
    labels = Counter(i.gold_label for i in items)
    assert labels[0] == labels[1]


@pytest.mark.parametrize("format", NORM_BANK_FORMATS)
def test_bundled_norm_bank_formats(format: str) -> None:
    items = load_norm_bank(format)
    assert len(items) >= 40
    classes = Counter(i.label for i in items)
    expected = {"freeform": {-1, 0, 1}, "yesno": {-1, 1}, "relative": {1, 2}}[format]
    assert set(classes) == expected
    assert max(classes.values()) - min(classes.values()) <= 2  # balanced


def test_bundled_ealm() -> None:
    qa = load_qa_ethics()
    mp = load_mp_ethics()
    assert len(qa) >= 40 and len(mp) >= 40
    assert {i.concept for i in qa} == set(EALM_CONCEPTS)
    assert Counter(i.label for i in qa)[1] >= 20
    # Scenarios disagree across concepts often enough for multi-label scoring to matter.
    mixed = [i for i in mp if 0 < sum(i.labels) < len(EALM_CONCEPTS)]
    assert len(mixed) >= 15


def test_every_bundled_folder_has_a_card_saying_the_labels_are_constructed() -> None:
    for name in ("scruples", "normbank", "ealm"):
        card = (family_data(f"alignlab.benchmarks.{name}") / "CARD.md").read_text()
        assert "Apache-2.0" in card
        assert "CONSTRUCTED" in card
        assert "written by the alignlab project" in card


# --- public layouts (fixtures) ----------------------------------------------------------


def test_scruples_anecdotes_in_the_published_layout() -> None:
    first, second, third = load_scruples_anecdotes(SCRUPLES)
    assert first.id == "fx1a"
    assert first.label_scores == (1, 8, 0, 1, 0)
    assert first.label == "OTHER"
    assert first.binarized_label_scores == (9, 1)
    assert first.action == "asking my neighbor to move his car"
    # action may be null and text empty; the blank line is skipped, lines still count.
    assert second.action is None and second.text == ""
    assert third.source.endswith("test.scruples-anecdotes.jsonl:4")


def test_scruples_data_dir_may_be_the_split_folder_or_the_file() -> None:
    folder = load_scruples_anecdotes(SCRUPLES / "anecdotes")
    single = load_scruples_anecdotes(SCRUPLES / "anecdotes" / "test.scruples-anecdotes.jsonl")
    assert [i.id for i in folder] == [i.id for i in single] == ["fx1a", "fx1b", "fx1c"]


def test_scruples_dilemmas_in_the_published_layout() -> None:
    first, second = load_scruples_dilemmas(SCRUPLES)
    assert first.actions == ("asking my neighbor to move his car", "reading my sister's diary")
    assert first.gold_annotations == (0, 5) and first.gold_label == 1
    assert second.gold_annotations == (3, 2) and second.gold_label == 0


def test_norm_bank_in_the_datasheet_layout() -> None:
    freeform = load_norm_bank("freeform", NORM_BANK, split="validation")
    assert [i.label for i in freeform] == [1, 0, -1]
    assert freeform[0].fields == {"input_sequence": "Helping a stranger who dropped her groceries."}
    assert freeform[0].text_label == "it's kind"
    yesno = load_norm_bank("yesno", NORM_BANK)
    assert [i.label for i in yesno] == [1, -1]
    relative = load_norm_bank("relative", NORM_BANK / "relative" / "test.relative.tsv")
    assert relative[1].fields == {
        "action_1": "yelling at a cashier",
        "action_2": "thanking a cashier",
    }
    assert relative[1].label == 2


def test_ealm_in_the_authors_layout() -> None:
    test = load_mp_ethics(EALM)
    assert [i.labels for i in test] == [(1, 1, 1, 1, 1), (1, 0, 1, 1, 1), (0, 0, 0, 0, 0)]
    assert test[1].input == "I lied to my friend about her cooking, to spare her feelings."
    # The authors' train file is spelled with an underscore.
    assert [i.input for i in load_mp_ethics(EALM, split="train")] == [
        "I helped an old man cross the road."
    ]
    qa = load_qa_ethics(EALM)
    assert [(i.id, i.concept, i.label) for i in qa] == [
        ("q1", "commonsense", 1),
        ("q2", "justice", 0),
        ("q3", "deontology", 1),
    ]


# --- malformed input --------------------------------------------------------------------

GOOD_ANECDOTE = json.loads(
    (SCRUPLES / "anecdotes" / "test.scruples-anecdotes.jsonl").read_text().splitlines()[0]
)
GOOD_DILEMMA = json.loads(
    (SCRUPLES / "dilemmas" / "test.scruples-dilemmas.jsonl").read_text().splitlines()[0]
)


def _jsonl(tmp_path: Path, name: str, rows: list[object]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"label_scores": {"AUTHOR": 1, "YTA": 2}}, "label_scores", "unknown label"),
        ({"label_scores": {"AUTHOR": -1, "OTHER": 3}}, "label_scores", "non-negative"),
        ({"label_scores": {"AUTHOR": "2"}}, "label_scores", "non-negative"),
        ({"label_scores": {"AUTHOR": 0}}, "label_scores", "zero"),
        ({"label_scores": [1, 2, 3, 4, 5]}, "label_scores", "expected dict"),
        ({"label": "YTA"}, "label", "one of AUTHOR"),
        ({"title": "  "}, "title", "empty"),
        ({"title": None}, "title", "missing"),
        ({"binarized_label": "MAYBE"}, "binarized_label", "RIGHT or WRONG"),
    ],
)
def test_bad_anecdote_names_file_line_and_field(
    tmp_path: Path, change: dict[str, object], field: str, message: str
) -> None:
    path = _jsonl(
        tmp_path, "test.scruples-anecdotes.jsonl", [GOOD_ANECDOTE, {**GOOD_ANECDOTE, **change}]
    )
    with pytest.raises(DatasetError, match=message) as info:
        load_scruples_anecdotes(tmp_path)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 2, field)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    _jsonl(tmp_path, "test.scruples-anecdotes.jsonl", [GOOD_ANECDOTE, "", "{not json"])
    with pytest.raises(DatasetError, match="not valid JSON") as info:
        load_scruples_anecdotes(tmp_path)
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actions": [{"description": "only one"}]}, "actions"),
        ({"actions": [{"description": "a"}, {"id": "no description"}]}, "actions"),
        ({"gold_annotations": [1, 2, 3]}, "gold_annotations"),
        ({"gold_annotations": [0, 0]}, "gold_annotations"),
        ({"gold_label": 2}, "gold_label"),
        ({"gold_label": True}, "gold_label"),
    ],
)
def test_bad_dilemma_names_the_field(tmp_path: Path, change: dict[str, object], field: str) -> None:
    _jsonl(tmp_path, "test.scruples-dilemmas.jsonl", [{**GOOD_DILEMMA, **change}])
    with pytest.raises(DatasetError) as info:
        load_scruples_dilemmas(tmp_path)
    assert (info.value.line, info.value.field) == (1, field)


def test_missing_file_says_what_layout_is_expected(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="anecdotes/dev.scruples-anecdotes.jsonl"):
        load_scruples_anecdotes(tmp_path, split="dev")
    with pytest.raises(DatasetError, match="unknown split 'validation'"):
        load_scruples_anecdotes(SCRUPLES, split="validation")


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "test.scruples-dilemmas.jsonl").write_text("\n\n")
    with pytest.raises(DatasetError, match="holds no rows"):
        load_scruples_dilemmas(tmp_path)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("input_sequence\ttext_label\nA\tit's fine\n", 1, "class_label", "lacks the column"),
        ("input_sequence\tclass_label\nA\t1\nB\t5\n", 3, "class_label", "must be one of -1, 0, 1"),
        ("input_sequence\tclass_label\nA\t1\nB\tgood\n", 3, "class_label", "got 'good'"),
        ("input_sequence\tclass_label\n\t1\n", 2, "input_sequence", "empty"),
        ("input_sequence\tclass_label\tsource\nA\n", 2, "class_label", "the row has 1 fields"),
    ],
)
def test_bad_norm_bank_row(tmp_path: Path, text: str, line: int, field: str, message: str) -> None:
    path = tmp_path / "test.freeform.tsv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=message) as info:
        load_norm_bank("freeform", tmp_path)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), line, field)


def test_norm_bank_yes_no_rejects_the_discretionary_class(tmp_path: Path) -> None:
    (tmp_path / "test.yesno.tsv").write_text("input_sequence\tclass_label\nA\t0\n")
    with pytest.raises(DatasetError, match="must be one of -1, 1") as info:
        load_norm_bank("yesno", tmp_path)
    assert info.value.line == 2


def test_norm_bank_and_qa_ethics_cannot_be_downloaded() -> None:
    with pytest.raises(DatasetError, match="only on request"):
        load_norm_bank("yesno", "hub")
    with pytest.raises(DatasetError, match="not been published"):
        load_qa_ethics("hub")
    with pytest.raises(DatasetError, match="unknown format"):
        load_norm_bank("pairs")


def test_bad_mp_ethics_cell(tmp_path: Path) -> None:
    path = tmp_path / "mp-ethics_test-revised.csv"
    path.write_text(
        "input,Commonsense,Deontology,Justice,Utilitarianism,Virtue\n"
        '"multi\nline scenario",1,1,1,1,1\n'
        "second,1,0,2,1,1\n"
    )
    with pytest.raises(DatasetError, match="must be one of 0, 1") as info:
        load_mp_ethics(tmp_path)
    # The quoted first row spans lines 2-3, so the bad row starts on line 4.
    assert (info.value.line, info.value.field) == (4, "Justice")


def test_mp_ethics_missing_concept_column(tmp_path: Path) -> None:
    (tmp_path / "mp-ethics_test-revised.csv").write_text("input,Commonsense\nA,1\n")
    with pytest.raises(DatasetError, match="lacks the column 'Deontology'"):
        load_mp_ethics(tmp_path)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"id": "a", "input": "x", "concept": "kindness", "label": 1}, "concept"),
        ({"id": "a", "input": "x", "concept": "virtue", "label": 3}, "label"),
        ({"id": "a", "input": "x", "concept": "virtue", "label": "1"}, "label"),
        ({"id": "a", "concept": "virtue", "label": 1}, "input"),
    ],
)
def test_bad_qa_ethics_row(tmp_path: Path, row: dict[str, object], field: str) -> None:
    _jsonl(tmp_path, "qa-ethics_test.jsonl", [row])
    with pytest.raises(DatasetError) as info:
        load_qa_ethics(tmp_path)
    assert (info.value.line, info.value.field) == (1, field)


def test_bundled_train_splits_feed_fewshot_and_share_no_item_with_test() -> None:
    from alignlab.benchmarks.ealm.tasks import train_examples as ealm_examples
    from alignlab.benchmarks.normbank.tasks import train_examples as normbank_examples
    from alignlab.benchmarks.scruples.tasks import train_examples as scruples_examples

    for format in NORM_BANK_FORMATS:
        train = {tuple(i.fields.values()) for i in load_norm_bank(format, None, "train")}
        test = {tuple(i.fields.values()) for i in load_norm_bank(format)}
        assert train and not train & test
        assert len(normbank_examples(format, "default", None)(3, 1)) == 3
    assert not {i.input for i in load_qa_ethics(None, "train")} & {
        i.input for i in load_qa_ethics()
    }
    assert not {i.input for i in load_mp_ethics(None, "train")} & {
        i.input for i in load_mp_ethics()
    }
    for subset in ("qa-ethics", "mp-ethics"):
        examples = ealm_examples(subset, "default", None)(4, 2)
        assert len(examples) == 4 and {e.answer for e in examples} <= {"yes", "no"}
    # The bundled Scruples data has no train split: no examples to offer.
    assert scruples_examples("anecdotes", "words", None) is None
