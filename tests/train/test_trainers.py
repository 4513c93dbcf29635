"""Each recipe runs a few TRL steps on the bundled model; the loss moves, the checkpoint reloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignlab.train.recipe import DataConfig, load_recipe
from alignlab.train.trainers import ethics_rows, file_rows


def test_ethics_rows_balance_answer_words_over_both_wordings() -> None:
    data = DataConfig(subsets=("commonsense",), variants=("paper", "reverse"), limit=20)
    rows = ethics_rows(data, "sft")
    assert len(rows) == 40
    answers = [r["completion"][0]["content"] for r in rows]
    assert answers.count("yes") == answers.count("no") == 20
    assert rows[0]["prompt"][0]["role"] == "user"
    pairs = ethics_rows(data, "dpo")
    assert all(p["chosen"][0]["content"] != p["rejected"][0]["content"] for p in pairs)


def test_file_rows_name_the_missing_field(tmp_path: Path) -> None:
    from alignlab.errors import DatasetError

    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"prompt": "Q?", "chosen": "A"}) + "\n")
    with pytest.raises(DatasetError, match="rejected"):
        file_rows(path, "dpo")


RECIPES = {
    "sft-lora": "method: sft\nlora: {r: 4, alpha: 8, top_layers: 2}\n",
    "dpo-lora": "method: dpo\nlora: {r: 4, alpha: 8, top_layers: 2}\n",
    "dpo-ipo-full": "method: dpo\nlora: false\ntrain_extra: {loss_type: [ipo]}\n",
    # the ethics-sft example's way: full fine-tuning with the embeddings (and here the lower
    # layers) fixed
    "sft-full-frozen": (
        "method: sft\nlora: false\n"
        "train_extra: {freeze_embeddings: true, train_layers: 2, lr_scheduler: linear}\n"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_trains_and_reloads(tmp_path: Path, name: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from alignlab.train.convert import bundled_checkpoint, read_source
    from alignlab.train.trainers import train

    text = RECIPES[name].replace(
        "train_extra: {",
        "train: {max_steps: 3, batch_size: 2, learning_rate: 0.001, save_steps: 2, ",
    )
    if "train:" not in text:
        text += "train: {max_steps: 3, batch_size: 2, learning_rate: 0.001, save_steps: 2}\n"
    text += "data: {subsets: [commonsense], variants: [paper, reverse], limit: 3}\n"
    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text(text)
    recipe = load_recipe(recipe_file)
    outcome = train(recipe, bundled_checkpoint(), tmp_path / "out")
    assert len(outcome.losses) == 3
    assert len(set(outcome.losses)) > 1  # the loss moves
    assert (tmp_path / "out" / "checkpoints" / "checkpoint-2").is_dir()
    reloaded = AutoModelForCausalLM.from_pretrained(outcome.model_dir)
    base = AutoModelForCausalLM.from_pretrained(bundled_checkpoint())
    changed = any(
        not torch.equal(a, b)
        for a, b in zip(reloaded.state_dict().values(), base.state_dict().values(), strict=True)
    )
    assert changed
    if recipe.train.freeze_embeddings:
        fixed = reloaded.get_input_embeddings().weight
        assert torch.equal(fixed, base.get_input_embeddings().weight)
        low, top = reloaded.model.layers, base.model.layers
        assert all(
            torch.equal(a, b) for a, b in zip(low[0].parameters(), top[0].parameters(), strict=True)
        )
        assert not all(
            torch.equal(a, b)
            for a, b in zip(low[-1].parameters(), top[-1].parameters(), strict=True)
        )
    assert (read_source(outcome.model_dir) or {})["gguf"].endswith(".gguf")
    # A finished run is not trained again.
    assert train(recipe, bundled_checkpoint(), tmp_path / "out").losses == outcome.losses
