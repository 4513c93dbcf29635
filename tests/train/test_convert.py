"""GGUF -> HF -> GGUF: the bundled model converted, exported back, and run by llama.cpp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alignlab.errors import ModelError
from alignlab.train.convert import bundled_checkpoint, export_gguf, read_source

PROMPTS = [
    "The capital of France is",
    "I returned the wallet I found.\nQuestion: Is this wrong?\nAnswer:",
    "<|im_start|>user\nSay hello.<|im_end|>\n<|im_start|>assistant\n",
]
# Largest gap allowed between the HF checkpoint's and the F32 GGUF's next-token log-probs
# (over each prompt's 10 most likely tokens); measured 0.005 on the first prompt.
TOLERANCE = 0.02


def test_export_refuses_unknown_tensor_type(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="f32"):
        export_gguf(tmp_path, tmp_path / "x.gguf", tensor_type="q2")


def test_export_needs_a_template(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="descends from"):
        export_gguf(tmp_path, tmp_path / "x.gguf")


@pytest.mark.slow
def test_round_trip_keeps_next_token_log_probs(tmp_path: Path) -> None:
    import torch
    from llama_cpp import Llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    checkpoint = bundled_checkpoint()
    assert bundled_checkpoint() == checkpoint  # cached, not converted again
    assert (read_source(checkpoint) or {}).get("gguf", "").endswith(".gguf")
    gguf = export_gguf(checkpoint, tmp_path / "model.gguf", tensor_type="f32")
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    llama = Llama(str(gguf), logits_all=True, verbose=False, n_ctx=256)
    try:
        for prompt in PROMPTS:
            ids = tokenizer(prompt)["input_ids"]
            with torch.no_grad():
                hf = torch.log_softmax(model(torch.tensor([ids])).logits[0, -1], -1).numpy()
            llama.reset()
            llama.eval(ids)
            logits = np.asarray(llama.scores[len(ids) - 1], dtype=np.float64)
            cpp = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
            top = np.argsort(-hf)[:10]
            assert int(np.argmax(cpp)) == int(top[0])
            assert np.abs(hf[top] - cpp[top]).max() < TOLERANCE
    finally:
        llama.close()
