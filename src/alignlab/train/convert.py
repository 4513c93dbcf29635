"""GGUF <-> Hugging Face checkpoints: the bundled model made trainable, trained ones runnable.

* :func:`bundled_checkpoint` loads the bundled SmolLM2 GGUF with transformers'
  GGUF loader (dequantised to float32 on the CPU) and saves it once as a plain
  Hugging Face checkpoint in the alignlab cache (:func:`cache_dir`); later calls
  return the cached folder.
* :func:`export_gguf` writes a trained Llama-architecture checkpoint back to a
  GGUF file that llama.cpp (``alignlab eval --model alignlab/<file>.gguf``)
  runs. It keeps the metadata and tokenizer of the GGUF the model came from
  (recorded in the checkpoint by :func:`gguf_to_hf` and carried over by
  :func:`mark_source`) and writes the tensors under llama.cpp's names, with
  the query/key row permutation of llama.cpp's ``convert_hf_to_gguf.py``
  (``LlamaModel.permute``), in F32, F16 or Q8_0.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import ModelError
from alignlab.models.bundled import cache_dir

SOURCE_FILE = "alignlab_source.json"
"""Written into every checkpoint alignlab makes: the GGUF it descends from, and how it was made."""

GGUF_TYPES = ("f32", "f16", "q8_0")


def bundled_checkpoint() -> Path:
    """The bundled SmolLM2 as a float32 Hugging Face checkpoint, converted on first use and cached.

    It holds the shipped Q4_1 weights exactly; training starts from it.
    """
    from alignlab.models.bundled import BUNDLED_NAME, bundled_model_path

    gguf = bundled_model_path()
    target = cache_dir() / "models" / f"{BUNDLED_NAME}-hf"
    source = read_source(target) if (target / "config.json").is_file() else None
    stat = gguf.stat()
    if source and source.get("gguf_size") == stat.st_size:
        return target
    return gguf_to_hf(gguf, target)


def gguf_to_hf(gguf: Path, target: Path, dtype: str = "float32") -> Path:
    """Dequantise a GGUF file with transformers' GGUF loader and save it as an HF checkpoint.

    The weights are saved in ``dtype`` (``float32``: the dequantised values
    exactly; ``bfloat16``: rounded once). The folder is written next to
    ``target`` and renamed into place, so an interrupted conversion leaves no
    half-written checkpoint behind.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
    except Exception as ex:  # noqa: BLE001 - transformers raises many kinds
        if bars:
            hf_logging.enable_progress_bar()
        raise ModelError(f"transformers could not load {gguf}: {ex}") from None
    # transformers marks a GGUF-loaded model as quantised and refuses to save it; the
    # weights are already dequantised float32, so a fresh model of the same config holds them.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.load_state_dict(loaded.state_dict(), strict=True)  # copies, rounding if bfloat16
    del loaded
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        model.save_pretrained(work)
        tokenizer.save_pretrained(work)
        mark_source(
            work,
            {
                "gguf": str(gguf),
                "gguf_size": gguf.stat().st_size,
                "dtype": dtype,
                "made_by": "gguf_to_hf",
            },
        )
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
        if bars:  # no "Writing model shards" bar over a running eval either
            hf_logging.enable_progress_bar()
    return target


def mark_source(checkpoint: Path, source: dict[str, Any]) -> None:
    """Record where a checkpoint came from (``alignlab_source.json``)."""
    (Path(checkpoint) / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n")


def read_source(checkpoint: Path) -> dict[str, Any] | None:
    """The checkpoint's ``alignlab_source.json``, or None."""
    path = Path(checkpoint) / SOURCE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _llama_permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's query/key row order (``convert_hf_to_gguf.py``, ``LlamaModel.permute``)."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def _gguf_tensors(state: dict[str, Any], config: Any) -> Iterator[tuple[str, np.ndarray]]:
    """(llama.cpp name, float32 array) for each tensor of a Llama HF state dict."""
    n_head = int(config.num_attention_heads)
    n_kv = int(getattr(config, "num_key_value_heads", None) or n_head)
    for name, tensor in state.items():
        array = tensor.detach().to("cpu").float().numpy()
        if name == "model.embed_tokens.weight":
            yield "token_embd.weight", array
        elif name == "model.norm.weight":
            yield "output_norm.weight", array
        elif name == "lm_head.weight":
            if not getattr(config, "tie_word_embeddings", False):
                yield "output.weight", array
        elif name.startswith("model.layers."):
            index, _, rest = name[len("model.layers.") :].partition(".")
            if rest not in _LAYER_NAMES:
                raise ModelError(f"GGUF export does not know the Llama tensor {name}")
            if rest == "self_attn.q_proj.weight":
                array = _llama_permute(array, n_head)
            elif rest == "self_attn.k_proj.weight":
                array = _llama_permute(array, n_kv)
            yield f"blk.{index}.{_LAYER_NAMES[rest]}", array
        elif name.endswith("rotary_emb.inv_freq"):
            continue
        else:
            raise ModelError(f"GGUF export does not know the Llama tensor {name}")


def export_gguf(
    checkpoint: str | Path,
    output: str | Path,
    *,
    tensor_type: str = "f16",
    template: str | Path | None = None,
) -> Path:
    """Write an HF Llama checkpoint as a GGUF file llama.cpp runs.

    Args:
        checkpoint: a Hugging Face checkpoint folder (LlamaForCausalLM; a PEFT
            adapter must be merged first, as :mod:`alignlab.train.recipes` does).
        output: the ``.gguf`` file to write.
        tensor_type: ``f32``, ``f16`` (default) or ``q8_0`` for the 2-D weights;
            norms stay F32 as llama.cpp expects.
        template: the GGUF whose metadata and tokenizer are kept; default the
            one recorded in the checkpoint's ``alignlab_source.json``.

    Raises:
        ModelError: unknown tensor type, no template GGUF, or not a Llama model.
    """
    import gguf
    import torch
    from transformers import AutoConfig

    if tensor_type not in GGUF_TYPES:
        raise ModelError(f"Unknown GGUF tensor type '{tensor_type}'; use one of {GGUF_TYPES}")
    checkpoint = Path(checkpoint)
    if template is None:
        source = read_source(checkpoint) or {}
        template = source.get("gguf")
    if not template or not Path(template).is_file():
        raise ModelError(
            f"{checkpoint} records no GGUF it descends from ({SOURCE_FILE}); pass template="
            "the GGUF of its base model so its tokenizer and metadata can be kept"
        )
    config = AutoConfig.from_pretrained(checkpoint)
    if getattr(config, "model_type", None) != "llama":
        raise ModelError(
            f"GGUF export handles Llama-architecture models; {checkpoint} is "
            f"'{getattr(config, 'model_type', '?')}'"
        )
    from safetensors.torch import load_file

    state: dict[str, torch.Tensor] = {}
    for shard in sorted(checkpoint.glob("*.safetensors")):
        state.update(load_file(str(shard)))
    if not state:
        raise ModelError(f"{checkpoint} holds no .safetensors weights")
    reader = gguf.GGUFReader(str(template))
    arch = str(reader.fields["general.architecture"].contents())
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.part")
    writer = gguf.GGUFWriter(str(tmp), arch)
    file_type = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    }[tensor_type]
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if key == "general.file_type":
            writer.add_file_type(int(file_type))
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), vtype, sub)
    for name, array in _gguf_tensors(state, config):
        if array.ndim == 1 or tensor_type == "f32":
            writer.add_tensor(name, array.astype(np.float32))
        elif tensor_type == "f16":
            writer.add_tensor(name, array.astype(np.float16))
        else:
            kind = gguf.GGMLQuantizationType.Q8_0
            writer.add_tensor(name, gguf.quants.quantize(array, kind), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(output)
    return output


__all__ = [
    "GGUF_TYPES",
    "SOURCE_FILE",
    "bundled_checkpoint",
    "cache_dir",
    "export_gguf",
    "gguf_to_hf",
    "mark_source",
    "read_source",
]
