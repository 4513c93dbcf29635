"""Recipe files: examples load, and bad files fail naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alignlab.cli import app
from alignlab.train.recipe import (
    METHODS,
    RecipeError,
    dpo_loss_types,
    example_names,
    example_recipe,
    load_recipe,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_every_example_loads(tmp_path: Path) -> None:
    assert {"ethics-sft", "ethics-dpo", "pairs-dpo"} <= set(example_names())
    for name in example_names():
        recipe = load_recipe(_write(tmp_path, example_recipe(name)))
        assert recipe.method in METHODS
    sft = load_recipe(_write(tmp_path, example_recipe("ethics-sft")))
    assert sft.data.variants == ("paper", "reverse")
    assert sft.lora is None and sft.train.freeze_embeddings  # full fine-tuning
    assert sft.data.limit is None  # every bundled commonsense training item
    assert load_recipe(_write(tmp_path, example_recipe("pairs-dpo"))).lora is None


def test_unknown_field_names_file_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "method: sft\ntrain:\n  epoch: 2\n")
    with pytest.raises(RecipeError) as ex:
        load_recipe(path)
    assert str(path) in str(ex.value) and "train.epoch" in str(ex.value)
    assert "epochs" in str(ex.value)  # the known options are listed


def test_wrong_type_names_field(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match=r"train\.batch_size.*integer"):
        load_recipe(_write(tmp_path, "method: sft\ntrain: {batch_size: eight}\n"))
    with pytest.raises(RecipeError, match=r"train\.learning_rate.*number"):
        load_recipe(_write(tmp_path, "method: sft\ntrain: {learning_rate: fast}\n"))
    with pytest.raises(RecipeError, match=r"train\.freeze_embeddings.*true or false"):
        load_recipe(_write(tmp_path, "method: sft\ntrain: {freeze_embeddings: 1}\n"))
    with pytest.raises(RecipeError, match=r"train\.lr_scheduler.*'wavy'.*cosine"):
        load_recipe(_write(tmp_path, "method: sft\ntrain: {lr_scheduler: wavy}\n"))


def test_unknown_method_and_loss_type_list_what_exists(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match=r"'method'.*sft, dpo, kto, sacpo, mahdpo, grpo"):
        load_recipe(_write(tmp_path, "method: ppo\n"))
    with pytest.raises(RecipeError) as ex:
        load_recipe(_write(tmp_path, "method: dpo\ntrain: {loss_type: [sigmoid, magic]}\n"))
    assert "train.loss_type" in str(ex.value) and "'magic'" in str(ex.value)
    assert "ipo" in str(ex.value) and "hinge" in str(ex.value)


def test_loss_types_come_from_trl() -> None:
    known = dpo_loss_types()
    assert {"sigmoid", "ipo", "hinge", "robust"} <= set(known)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="not found"):
        load_recipe(tmp_path / "nope.yaml")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(_write(tmp_path, "method: [sft\n"))
    with pytest.raises(RecipeError, match="data.file"):
        load_recipe(_write(tmp_path, "method: dpo\ndata: {source: file}\n"))


def test_cli_writes_an_example_and_rejects_a_bad_recipe(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "loop.yaml"
    result = runner.invoke(app, ["align", "--example", "ethics-sft", "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == example_recipe("ethics-sft")
    result = runner.invoke(app, ["align", "--example", "nothing"])
    assert result.exit_code == 1
    bad = _write(tmp_path, "method: sft\nlora: {rank: 4}\n")
    result = runner.invoke(app, ["align", str(bad)])
    assert result.exit_code == 1
