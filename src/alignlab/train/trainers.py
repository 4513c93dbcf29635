"""Recipes as TRL/PEFT assemblies: training rows, the trainer for a method, a saved HF checkpoint.

Nothing here is a training loop: :func:`train` builds TRL's ``SFTTrainer`` or
``DPOTrainer`` from a :class:`~alignlab.train.recipe.Recipe` (PEFT LoRA when
the recipe has a ``lora`` section, full fine-tuning otherwise), resumes from
the newest ``checkpoint-*`` in the output folder, merges a LoRA adapter into
the weights and saves a plain transformers checkpoint.

Training rows are conversational, as TRL expects: the user turn is the
evaluation's own prompt (the ETHICS task templates render the bundled training
items), so training and evaluation see the same chat-formatted text.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.errors import DatasetError
from alignlab.train.recipe import DataConfig, Recipe

DONE_FILE = "alignlab_trained.json"


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def ethics_rows(data: DataConfig, method: str, seed: int = 0) -> list[dict[str, Any]]:
    """Training rows from the bundled ETHICS-style items, under each prompt variant.

    SFT rows: ``prompt`` (the task's question) and ``completion`` (the gold
    answer word). DPO rows: ``prompt``, ``chosen`` (gold) and ``rejected``
    (the other answer). Under the ``reverse`` wording the gold word flips, so
    a set with both wordings has both answer words as gold equally often.
    Shuffled with ``seed``; ``limit`` keeps that many items per subset and variant.
    """
    from alignlab.benchmarks.ethics.tasks import ethics_samples
    from alignlab.train.ethics_data import ALIGN_DATA_DIR, ALIGN_SPLIT

    rows: list[dict[str, Any]] = []
    for subset in data.subsets:
        for variant in data.variants:
            samples = ethics_samples(subset, variant, str(ALIGN_DATA_DIR), ALIGN_SPLIT)
            if data.limit is not None:
                samples = samples[: data.limit]
            for sample in samples:
                choices = list((sample.metadata or {})["choices"])
                gold = str(sample.target)
                other = [c for c in choices if c != gold]
                prompt = _user(str(sample.input))
                if method == "sft":
                    rows.append({"prompt": prompt, "completion": _assistant(gold)})
                else:
                    for wrong in other:
                        rows.append(
                            {
                                "prompt": prompt,
                                "chosen": _assistant(gold),
                                "rejected": _assistant(wrong),
                            }
                        )
    random.Random(seed).shuffle(rows)
    return rows


def file_rows(path: Path, method: str) -> list[dict[str, Any]]:
    """Training rows from a JSONL/CSV/Parquet file (``alignlab data`` writes such files).

    SFT needs ``prompt`` and ``completion``; DPO ``prompt``, ``chosen`` and
    ``rejected`` (plain strings: the prompt becomes the user turn, the others
    assistant turns).

    Raises:
        DatasetError: a row lacks a needed field (file, line and field named).
    """
    from alignlab.datasets._rows import read_rows, required_text

    needed = ("prompt", "completion") if method == "sft" else ("prompt", "chosen", "rejected")
    rows: list[dict[str, Any]] = []
    for line, row in read_rows(path):
        texts = {name: required_text(row, name, path, line) for name in needed}
        converted: dict[str, Any] = {"prompt": _user(texts["prompt"])}
        for name in needed[1:]:
            converted[name] = _assistant(texts[name])
        rows.append(converted)
    if not rows:
        raise DatasetError(path, "holds no rows")
    return rows


def recipe_rows(recipe: Recipe) -> list[dict[str, Any]]:
    """The recipe's training rows."""
    if recipe.data.source == "file":
        path = Path(str(recipe.data.file)).expanduser()
        if not path.is_absolute():
            path = recipe.path.parent / path
        return file_rows(path, recipe.method)
    return ethics_rows(recipe.data, recipe.method, recipe.train.seed)


@dataclass(frozen=True)
class TrainOutcome:
    """A finished training run: the merged checkpoint and the logged losses."""

    model_dir: Path
    losses: list[float]
    seconds: float
    rows: int
    resumed_from: str | None


def _peft_config(recipe: Recipe, n_layers: int) -> Any:
    if recipe.lora is None:
        return None
    from peft import LoraConfig as PeftLoraConfig

    lora = recipe.lora
    layers = None
    if lora.top_layers:
        layers = list(range(max(0, n_layers - lora.top_layers), n_layers))
    return PeftLoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        layers_to_transform=layers,
        task_type="CAUSAL_LM",
    )


def _freeze(model: Any, recipe: Recipe) -> None:
    """Full fine-tuning: fix the embeddings and/or the lower layers, as the recipe says.

    Backward then stops at the lowest layer that learns, and the optimiser keeps
    no state for the fixed weights: the cheap way to fine-tune on a CPU.
    """
    if recipe.lora is not None:
        return
    if recipe.train.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if recipe.train.train_layers is not None:
        layers = model.model.layers
        for layer in layers[: max(0, len(layers) - recipe.train.train_layers)]:
            layer.requires_grad_(False)


def _common_args(recipe: Recipe, out: Path) -> dict[str, Any]:
    t = recipe.train
    return {
        "output_dir": str(out),
        "num_train_epochs": t.epochs,
        "max_steps": t.max_steps,
        "learning_rate": t.learning_rate,
        "per_device_train_batch_size": t.batch_size,
        "max_length": t.max_length,
        "save_strategy": "steps",
        "save_steps": t.save_steps,
        "save_total_limit": 2,
        "logging_steps": 1,
        "report_to": [],
        "use_cpu": True,
        "seed": t.seed,
        "dataloader_num_workers": 0,
        "lr_scheduler_type": t.lr_scheduler,
        "warmup_steps": t.warmup_steps,
        # TRL turns gradient checkpointing on by default: with LoRA on the top layers it makes
        # the backward pass run through every layer again, several times the cost on a CPU.
        "gradient_checkpointing": False,
    }


def latest_checkpoint(folder: Path) -> Path | None:
    """The newest ``checkpoint-<step>`` folder the Trainer left in ``folder``."""
    found = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    return max(found, key=lambda p: int(p.name.split("-")[-1])) if found else None


def train(recipe: Recipe, base: Path, out: Path) -> TrainOutcome:
    """Train ``base`` (an HF checkpoint) by the recipe; save the result in ``out/model``.

    A finished run (``out/model/alignlab_trained.json``) is returned as it is;
    an interrupted one resumes from its newest checkpoint in ``out/checkpoints``.
    KTO, SACPO, MAH-DPO and GRPO are assembled in :mod:`alignlab.train.methods`.
    """
    if recipe.method not in ("sft", "dpo"):
        from alignlab.train.methods import train_method

        return train_method(recipe, base, out)
    done = out / "model" / DONE_FILE
    if done.is_file():
        info = json.loads(done.read_text())
        return TrainOutcome(out / "model", info["losses"], info["seconds"], info["rows"], None)
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if recipe.train.threads:
        torch.set_num_threads(recipe.train.threads)
    torch.manual_seed(recipe.train.seed)
    rows = recipe_rows(recipe)
    dataset = Dataset.from_list(rows)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    peft_config = _peft_config(recipe, int(model.config.num_hidden_layers))
    _freeze(model, recipe)
    checkpoints = out / "checkpoints"
    common = _common_args(recipe, checkpoints)
    trainer: Any
    if recipe.method == "sft":
        from trl import SFTConfig, SFTTrainer

        trainer = SFTTrainer(
            model=model,
            args=SFTConfig(**common, completion_only_loss=True),
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=peft_config,
        )
    else:
        from trl import DPOConfig, DPOTrainer

        trainer = DPOTrainer(
            model=model,
            args=DPOConfig(
                **common, beta=recipe.train.beta, loss_type=list(recipe.train.loss_type)
            ),
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=peft_config,
        )
    resume = latest_checkpoint(checkpoints)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.perf_counter() - start
    trained = trainer.model
    if peft_config is not None:
        trained = trained.merge_and_unload()
    return finish_training(
        recipe,
        trainer,
        trained,
        tokenizer,
        base,
        out,
        seconds,
        len(rows),
        resumed=str(resume) if resume else None,
    )


def finish_training(
    recipe: Recipe,
    trainer: Any,
    model: Any,
    tokenizer: Any,
    base: Path,
    out: Path,
    seconds: float,
    rows: int,
    extra: Mapping[str, Any] | None = None,
    resumed: str | None = None,
) -> TrainOutcome:
    """Save the trained ``model`` to ``out/model`` with its provenance and the done marker."""
    from alignlab.train.convert import mark_source, read_source

    losses = [float(e["loss"]) for e in trainer.state.log_history if "loss" in e]
    target = out / "model"
    if target.exists():
        shutil.rmtree(target)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    source = dict(read_source(base) or {})
    source.update({"made_by": f"alignlab align ({recipe.method})", "base": str(base)})
    source.update(extra or {})
    mark_source(target, source)
    (target / DONE_FILE).write_text(
        json.dumps({"losses": losses, "seconds": seconds, "rows": rows}, indent=2) + "\n"
    )
    return TrainOutcome(target, losses, seconds, rows, resumed)


__all__ = [
    "DONE_FILE",
    "TrainOutcome",
    "ethics_rows",
    "file_rows",
    "latest_checkpoint",
    "recipe_rows",
    "train",
]
