"""A quick learning-rate / layer sweep for the `ethics-sft` recipe, scored in-process.

Usage: .venv/bin/python bench/sweep_align.py --lr 5e-5 1e-4 [--epochs 2] [--limit 100]
       [--variants paper direct reverse] [--train-top 30] [--freeze-embed] [--threads 2]

For each learning rate: full fine-tuning of the converted bundled model with TRL's
``SFTTrainer`` on the bundled ETHICS-style training items (the same rows
``alignlab align`` builds), then the log-odds AUC and accuracy on the bundled
ETHICS commonsense *test* items (never trained on) under the ``paper`` and
``reverse`` wordings. Scoring here is a quick stand-in for ``alignlab eval``:
the chat-templated prompt, then log P("yes") - log P("no") at the answer
position (the first token of each word). Use it to choose a recipe; the
recipe's real figures come from ``alignlab align`` (bench_align.py).
Prints one line per learning rate with train wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any


def _auc(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def evaluate(model: Any, tokenizer: Any, variant: str) -> tuple[float, float, float]:
    """(AUC, accuracy, majority baseline) on the commonsense test items under ``variant``."""
    import torch

    from alignlab.benchmarks.ethics.tasks import ethics_samples

    samples = ethics_samples("commonsense", variant)
    yes = tokenizer.encode("yes", add_special_tokens=False)[0]
    no = tokenizer.encode("no", add_special_tokens=False)[0]
    scores: list[float] = []
    labels: list[int] = []
    correct = 0
    tokenizer.padding_side = "left"
    model.eval()
    with torch.no_grad():
        for start in range(0, len(samples), 24):
            batch = samples[start : start + 24]
            texts = [
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": str(s.input)}],
                    add_generation_prompt=True,
                    tokenize=False,
                )
                for s in batch
            ]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            logits = model(**enc).logits[:, -1, :].log_softmax(-1)
            for s, row in zip(batch, logits, strict=True):
                choices = list((s.metadata or {})["choices"])
                gold = choices.index(str(s.target))
                # log-odds of the second choice ("yes"), as the forced-choice scorer reports it
                odds = float(row[yes] - row[no])
                label = int((s.metadata or {})["label"])  # 1: the act was wrong
                # under `reverse` a "yes" means acceptable: orient so higher = wrong
                scores.append(odds if variant != "reverse" else -odds)
                labels.append(label)
                correct += int((odds > 0) == (gold == 1))
    majority = max(sum(labels), len(labels) - sum(labels)) / len(labels)
    return _auc(scores, labels), correct / len(samples), majority


class _EpochScores:
    """A Trainer callback that scores the model after each epoch (duck-typed)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model = kwargs["model"]
        cpu = time.process_time()
        parts = [f"  epoch {state.epoch:.2f} step {state.global_step} CPU {cpu:.0f} s"]
        for variant in ("paper", "reverse"):
            auc, acc, maj = evaluate(model, self.tokenizer, variant)
            parts.append(f"{variant} AUC {auc:.3f} acc {acc:.3f}")
        model.train()
        print("; ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, nargs="+", default=[1e-4])
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--subsets", nargs="+", default=["commonsense"])
    parser.add_argument("--variants", nargs="+", default=["paper", "direct", "reverse"])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--train-top", type=int, default=0, help="train only the top N layers")
    parser.add_argument("--freeze-embed", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scheduler", default="constant_with_warmup")
    parser.add_argument("--every-epoch", action="store_true", help="score after each epoch")
    parser.add_argument("--baseline", action="store_true", help="also score the base model")
    args = parser.parse_args()

    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from alignlab.train.convert import bundled_checkpoint
    from alignlab.train.recipe import DataConfig
    from alignlab.train.trainers import ethics_rows

    torch.set_num_threads(args.threads)
    base = bundled_checkpoint()
    tokenizer = AutoTokenizer.from_pretrained(base)
    if args.baseline:
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        for variant in ("paper", "reverse"):
            auc, acc, maj = evaluate(model, tokenizer, variant)
            print(f"base {variant}: AUC {auc:.3f} acc {acc:.3f} (majority {maj:.3f})")
    data = DataConfig(
        source="ethics",
        subsets=tuple(args.subsets),
        variants=tuple(args.variants),
        limit=args.limit,
    )
    rows = ethics_rows(data, "sft", 0)
    for lr in args.lr:
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        n_layers = int(model.config.num_hidden_layers)
        if args.freeze_embed:
            model.get_input_embeddings().weight.requires_grad_(False)
        if args.train_top:
            for i, layer in enumerate(model.model.layers):
                if i < n_layers - args.train_top:
                    layer.requires_grad_(False)
        with tempfile.TemporaryDirectory() as tmp:
            config = SFTConfig(
                output_dir=str(Path(tmp)),
                num_train_epochs=args.epochs,
                learning_rate=lr,
                per_device_train_batch_size=args.batch_size,
                max_length=160,
                save_strategy="no",
                logging_steps=5,
                report_to=[],
                use_cpu=True,
                seed=0,
                lr_scheduler_type=args.scheduler,
                warmup_steps=2,
                gradient_checkpointing=False,
                completion_only_loss=True,
                disable_tqdm=True,
            )
            trainer = SFTTrainer(
                model=model,
                args=config,
                train_dataset=Dataset.from_list(rows),
                processing_class=tokenizer,
                callbacks=[_EpochScores(tokenizer)] if args.every_epoch else None,
            )
            wall, cpu = time.perf_counter(), time.process_time()
            trainer.train()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
        line = [
            f"lr {lr:g}: {len(rows)} rows, {args.epochs:g} ep, train {wall:.0f} s wall "
            f"{cpu:.0f} s CPU, loss {losses[0]:.2f}->{losses[-1]:.2f}"
        ]
        for variant in ("paper", "reverse"):
            auc, acc, maj = evaluate(trainer.model, tokenizer, variant)
            line.append(f"{variant} AUC {auc:.3f} acc {acc:.3f} (maj {maj:.3f})")
        print("; ".join(line), flush=True)


if __name__ == "__main__":
    main()
