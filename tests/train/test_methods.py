"""KTO, SACPO, MAH-DPO and GRPO: recipe checks, data rows, and a few steps on the bundled model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignlab.errors import AlignlabError, DatasetError
from alignlab.train.recipe import RecipeError, grpo_loss_types, kto_loss_types, load_recipe


def _write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_method_loss_types_come_from_trl_and_unknown_ones_are_listed(tmp_path: Path) -> None:
    assert "kto" in kto_loss_types()
    assert {"grpo", "dr_grpo", "dapo", "bnpo"} <= set(grpo_loss_types())
    assert load_recipe(_write(tmp_path, "method: kto\n")).train.loss_type == ("kto",)
    assert load_recipe(_write(tmp_path, "method: grpo\n")).train.loss_type == ("dapo",)
    with pytest.raises(RecipeError) as ex:
        load_recipe(_write(tmp_path, "method: kto\ntrain: {loss_type: [sigmoid]}\n"))
    assert "train.loss_type" in str(ex.value) and "apo_zero_unpaired" in str(ex.value)
    with pytest.raises(RecipeError, match=r"train\.loss_type.*dr_grpo"):
        load_recipe(_write(tmp_path, "method: grpo\ntrain: {loss_type: [ppo]}\n"))
    with pytest.raises(RecipeError, match=r"train\.loss_type.*ipo"):
        load_recipe(_write(tmp_path, "method: mahdpo\nlora: false\ntrain: {loss_type: x}\n"))


def test_bad_method_sections_name_file_and_field(tmp_path: Path) -> None:
    cases = {
        "method: sacpo\n": "sacpo.helpful_file",
        "method: sacpo\nsacpo: {helpful_file: a.jsonl}\n": "sacpo.safety_file",
        "method: sacpo\nsacpo: {merge: [1.5]}\n": "sacpo.merge",
        "method: mahdpo\n": "'lora'",
        "method: mahdpo\nlora: false\nmahdpo: {heads: 2}\n": "mahdpo.heads",
        "method: grpo\ngrpo: {num_generations: 1}\n": "grpo.num_generations",
        "method: grpo\ngrpo: {weights: {helpfulness: -1}}\n": "grpo.weights",
        "method: grpo\ndata: {source: ethics}\n": "data.source",
        "method: dpo\ndata: {source: prompts}\n": "data.source",
    }
    for text, field in cases.items():
        path = _write(tmp_path, text)
        with pytest.raises(RecipeError) as ex:
            load_recipe(path)
        assert str(path) in str(ex.value) and field in str(ex.value), (text, str(ex.value))


def test_kto_rows_from_pairs_labels_and_ethics(tmp_path: Path) -> None:
    from alignlab.train.methods import kto_rows

    data = tmp_path / "d.jsonl"
    data.write_text(
        json.dumps({"prompt": "Q", "chosen": "good", "rejected": "bad"})
        + "\n"
        + json.dumps({"prompt": "Q2", "completion": "ok", "label": "false"})
        + "\n"
    )
    recipe = load_recipe(_write(tmp_path, f"method: kto\ndata: {{source: file, file: {data}}}\n"))
    rows = kto_rows(recipe)
    assert [(r["completion"][0]["content"], r["label"]) for r in rows] == [
        ("good", True),
        ("bad", False),
        ("ok", False),
    ]
    data.write_text(json.dumps({"prompt": "Q", "completion": "x", "label": "maybe"}) + "\n")
    with pytest.raises(DatasetError, match="label"):
        kto_rows(recipe)
    ethics = load_recipe(_write(tmp_path, "method: kto\ndata: {limit: 2, variants: [paper]}\n"))
    labels = [r["label"] for r in kto_rows(ethics)]
    assert labels.count(True) == labels.count(False) == 2


def test_objective_rows_tag_each_head(tmp_path: Path) -> None:
    from alignlab.train.methods import objective_rows

    text = "method: mahdpo\nlora: false\ndata: {subsets: [commonsense, justice], limit: 2}\n"
    rows, objectives = objective_rows(load_recipe(_write(tmp_path, text)))
    assert objectives == ["commonsense", "justice"]
    assert {r["dimension"] for r in rows} == {0, 1}
    data = tmp_path / "d.jsonl"
    data.write_text(
        json.dumps({"prompt": "Q", "chosen": "a", "rejected": "b", "objective": "honesty"}) + "\n"
    )
    text = f"method: mahdpo\nlora: false\ndata: {{source: file, file: {data}}}\n"
    with pytest.raises(AlignlabError, match="2 or more"):
        objective_rows(load_recipe(_write(tmp_path, text)))
    text += "mahdpo: {objectives: [helpfulness, harmlessness]}\n"
    with pytest.raises(AlignlabError, match=r"mahdpo\.objectives.*honesty"):
        objective_rows(load_recipe(_write(tmp_path, text)))


def test_prompt_rows_from_the_bundled_set(tmp_path: Path) -> None:
    from alignlab.train.methods import prompt_rows

    rows = prompt_rows(load_recipe(_write(tmp_path, "method: grpo\ndata: {limit: 3}\n")))
    assert len(rows) == 3 and rows[0]["prompt"][0]["role"] == "user"


def _tiny_heads(tmp_path: Path) -> Path:
    """A tiny Llama checkpoint with two saved heads, as train_mahdpo leaves it."""
    import torch
    from safetensors.torch import save_file
    from tokenizers import Tokenizer, models
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from alignlab.train.methods import HEADS_FILE

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=16,
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        tie_word_embeddings=False,
    )
    path = tmp_path / "mh"
    LlamaForCausalLM(config).save_pretrained(path)
    tok = Tokenizer(models.WordLevel({f"t{i}": i for i in range(16)}, "t0"))
    PreTrainedTokenizerFast(tokenizer_object=tok).save_pretrained(path)
    save_file(
        {"heads.0": torch.randn(16, 8), "heads.1": torch.randn(16, 8)}, path / "heads.safetensors"
    )
    (path / HEADS_FILE).write_text(json.dumps({"objectives": ["helpful", "harmless"]}))
    return path


def test_mixed_heads_equal_the_weighted_logits(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from alignlab.train.methods import mix_heads, read_heads

    path = _tiny_heads(tmp_path)
    _, heads = read_heads(path)
    out = mix_heads(path, {"helpful": 3, "harmless": 1}, tmp_path / "mixed")
    model = AutoModelForCausalLM.from_pretrained(out)
    ids = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        hidden = model.model(ids).last_hidden_state
        logits = model(ids).logits
    expected = 0.75 * hidden @ heads[0].T + 0.25 * hidden @ heads[1].T
    assert torch.allclose(logits, expected, atol=1e-5)
    with pytest.raises(AlignlabError, match="heads: helpful, harmless"):
        mix_heads(path, {"funny": 1}, tmp_path / "x")
    with pytest.raises(AlignlabError, match="positive sum"):
        mix_heads(path, [0, 0], tmp_path / "x")
    with pytest.raises(AlignlabError, match="not a MAH-DPO"):
        read_heads(tmp_path)


STEPS = (
    "train: {max_steps: 3, batch_size: 2, learning_rate: 0.001, save_steps: 2, max_length: 96}\n"
)


def _changed(model_dir: Path, base: Path) -> bool:
    import torch
    from transformers import AutoModelForCausalLM

    reloaded = AutoModelForCausalLM.from_pretrained(model_dir).state_dict()
    original = AutoModelForCausalLM.from_pretrained(base).state_dict()
    return any(not torch.equal(reloaded[k], original[k]) for k in original if k in reloaded)


@pytest.mark.slow
def test_kto_and_grpo_train_and_reload(tmp_path: Path) -> None:
    from alignlab.train.convert import bundled_checkpoint
    from alignlab.train.trainers import train

    base = bundled_checkpoint()
    lora = "lora: {r: 4, alpha: 8, top_layers: 2}\n"
    kto = load_recipe(
        _write(tmp_path, "method: kto\n" + lora + STEPS + "data: {limit: 3, variants: [paper]}\n")
    )
    outcome = train(kto, base, tmp_path / "kto")
    assert len(outcome.losses) == 3 and len(set(outcome.losses)) > 1
    assert (tmp_path / "kto" / "checkpoints" / "checkpoint-2").is_dir()
    assert _changed(outcome.model_dir, base)
    grpo_text = (
        "method: grpo\n"
        + lora
        + STEPS
        + "data: {limit: 2}\n"
        + "grpo: {bundle: general, num_generations: 2, max_completion_length: 8}\n"
    )
    grpo = load_recipe(_write(tmp_path, grpo_text, "g.yaml"))
    outcome = train(grpo, base, tmp_path / "grpo")
    assert len(outcome.losses) == 3
    assert _changed(outcome.model_dir, base)
    source = json.loads((outcome.model_dir / "alignlab_source.json").read_text())
    assert source["bundle"] == "general" and len(source["rewards"]) == 3
    # A finished run is returned, not trained again.
    assert train(grpo, base, tmp_path / "grpo").losses == outcome.losses


@pytest.mark.slow
def test_sacpo_and_mahdpo_train_and_reload(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from alignlab.train.convert import bundled_checkpoint
    from alignlab.train.methods import read_heads
    from alignlab.train.trainers import train

    base = bundled_checkpoint()
    for name, answers in (("helpful", ("Try this: ", "No.")), ("safety", ("I won't. ", "Sure: "))):
        rows = [
            {"prompt": f"Question {k}?", "chosen": answers[0] + str(k), "rejected": answers[1]}
            for k in range(4)
        ]
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = (
        "method: sacpo\nlora: {r: 4, alpha: 8, top_layers: 2}\n"
        + STEPS
        + "sacpo: {helpful_file: helpful.jsonl, safety_file: safety.jsonl, merge: [0.5]}\n"
    )
    outcome = train(load_recipe(_write(tmp_path, text)), base, tmp_path / "sacpo")
    assert len(outcome.losses) == 6 and len(set(outcome.losses[3:])) > 1
    helpful = tmp_path / "sacpo" / "helpful" / "model"
    source = json.loads((outcome.model_dir / "alignlab_source.json").read_text())
    assert source["reference"] == str(helpful) and source["beta_safety"] == 0.025
    assert _changed(outcome.model_dir, helpful)
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "sacpo" / "merged" / "q0.5")
    a = AutoModelForCausalLM.from_pretrained(helpful).state_dict()
    b = AutoModelForCausalLM.from_pretrained(outcome.model_dir).state_dict()
    name = "model.layers.29.self_attn.q_proj.weight"
    assert torch.allclose(merged.state_dict()[name], 0.5 * a[name] + 0.5 * b[name], atol=1e-6)

    text = (
        "method: mahdpo\nlora: false\nmahdpo: {train_layers: 1}\n"
        + STEPS.replace("batch_size: 2", "batch_size: 4")
        + "data: {subsets: [commonsense, justice], variants: [paper], limit: 3}\n"
    )
    outcome = train(load_recipe(_write(tmp_path, text, "m.yaml")), base, tmp_path / "mah")
    assert len(outcome.losses) == 3 and len(set(outcome.losses)) > 1
    objectives, heads = read_heads(outcome.model_dir)
    assert objectives == ["commonsense", "justice"]
    assert not torch.equal(heads[0], heads[1])
    served = AutoModelForCausalLM.from_pretrained(outcome.model_dir)
    assert torch.allclose(served.lm_head.weight, (heads[0] + heads[1]) / 2, atol=1e-6)
    assert _changed(outcome.model_dir, base)
