"""P-SACPO linear merging on two tiny Llama checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.errors import ModelError
from alignlab.train.merge import linear_merge


def _tiny(path: Path, seed: int) -> Path:
    import torch
    from tokenizers import Tokenizer, models
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=16,
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    LlamaForCausalLM(config).save_pretrained(path)
    vocab = {f"t{i}": i for i in range(16)}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, "t0")))
    tok.save_pretrained(path)
    return path


def test_linear_merge_is_the_weighted_average(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    a, b = _tiny(tmp_path / "a", 1), _tiny(tmp_path / "b", 2)
    out = linear_merge([a, b], [3, 1], tmp_path / "m")
    sa = AutoModelForCausalLM.from_pretrained(a).state_dict()
    sb = AutoModelForCausalLM.from_pretrained(b).state_dict()
    sm = AutoModelForCausalLM.from_pretrained(out).state_dict()
    for name in sa:
        assert torch.allclose(sm[name], 0.75 * sa[name] + 0.25 * sb[name], atol=1e-6)


def test_linear_merge_refuses_bad_weights(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        linear_merge([tmp_path], [1.0], tmp_path / "m")
    with pytest.raises(ModelError, match="zero"):
        linear_merge([tmp_path, tmp_path], [1.0, -1.0], tmp_path / "m")
