"""KTO, SACPO, MAH-DPO and GRPO recipes: short assemblies of TRL/PEFT pieces, no new loop.

* ``kto``: TRL's ``KTOTrainer`` on unpaired rows (``prompt``, ``completion``,
  ``label``); a preference set becomes two rows per pair (chosen desirable,
  rejected not), the bundled ETHICS items likewise.
* ``sacpo`` (Wachi et al., NeurIPS 2024): a DPO stage on helpfulness pairs
  from the base model, then a DPO stage on safety pairs that starts from the
  first stage's model and uses it as the reference (with LoRA the adapter is
  new, so switching it off gives the first stage's weights; in full
  fine-tuning TRL copies the starting model), with ``beta' = beta / lambda``
  (``sacpo.safety_beta``). P-SACPO then writes the linear merges
  ``(1 - q) theta_helpful + q theta_safe`` for each ``q`` in ``sacpo.merge``
  (:func:`alignlab.train.merge.linear_merge`).
* ``mahdpo`` (MAH-DPO, Shen et al. 2025): the model's output head becomes
  one head per objective on a shared trunk (:class:`HeadSwitch`; head 0 is
  the original head, the others copies with Gaussian noise so they can
  diverge). TRL's ``DPOTrainer`` computes the DPO loss of each objective's
  rows of a batch through that objective's head, policy and reference alike,
  and the step's loss is the unweighted mean over the objectives present in
  the batch (as in the authors' trainer). See :func:`mix_heads` for serving.
* ``grpo`` (ArGen, Madan 2025): TRL's ``GRPOTrainer`` with ArGen's weighted
  principle rewards times the policy bundle's penalty, the very
  :class:`~alignlab.policy.principles.PrincipleReward` the output auditor uses.

Every method leaves a plain transformers checkpoint in ``out/model`` (SACPO:
``out/safety/model``), resumes from its newest Trainer checkpoint, and
records how it was made in the checkpoint's ``alignlab_source.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from alignlab.errors import AlignlabError, DatasetError
from alignlab.train.recipe import DataConfig, Recipe
from alignlab.train.trainers import (
    DONE_FILE,
    TrainOutcome,
    _assistant,
    _common_args,
    _peft_config,
    _user,
    ethics_rows,
    finish_training,
    latest_checkpoint,
)

HEADS_FILE = "alignlab_heads.json"
HEADS_WEIGHTS = "heads.safetensors"
PROMPTS_FILE = Path(__file__).parent / "data" / "prompts" / "prompts.jsonl"


# ---------------------------------------------------------------------------------------- data


def _data_file(recipe: Recipe, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else recipe.path.parent / path


def kto_rows(recipe: Recipe) -> list[dict[str, Any]]:
    """Unpaired KTO rows: ``prompt``, ``completion``, ``label`` (True = desirable).

    A file may hold unpaired rows (``prompt``, ``completion``, ``label``) or
    pairs (``prompt``, ``chosen``, ``rejected``: two rows each).

    Raises:
        DatasetError: a row lacks a needed field or has a label that is not
            true/false (file, line and field named).
    """
    from alignlab.datasets._rows import read_rows, required_text

    if recipe.data.source == "ethics":
        pairs = ethics_rows(recipe.data, "dpo", recipe.train.seed)
        return [
            row
            for p in pairs
            for row in (
                {"prompt": p["prompt"], "completion": p["chosen"], "label": True},
                {"prompt": p["prompt"], "completion": p["rejected"], "label": False},
            )
        ]
    path = _data_file(recipe, str(recipe.data.file))
    rows: list[dict[str, Any]] = []
    for line, row in read_rows(path):
        prompt = _user(required_text(row, "prompt", path, line))
        if "chosen" in row:
            for name, desirable in (("chosen", True), ("rejected", False)):
                text = required_text(row, name, path, line)
                rows.append({"prompt": prompt, "completion": _assistant(text), "label": desirable})
            continue
        completion = required_text(row, "completion", path, line)
        label: Any = row.get("label")
        if isinstance(label, str) and label.lower() in ("true", "false", "1", "0"):
            label = label.lower() in ("true", "1")
        if not isinstance(label, bool | int) or label not in (0, 1):
            raise DatasetError(path, f"line {line}: field 'label' must be true or false")
        rows.append({"prompt": prompt, "completion": _assistant(completion), "label": bool(label)})
    if not rows:
        raise DatasetError(path, "holds no rows")
    return rows


def prompt_rows(recipe: Recipe) -> list[dict[str, Any]]:
    """GRPO prompts: the bundled prompt set (``source: prompts``) or a file's ``prompt`` column."""
    from alignlab.datasets._rows import read_rows, required_text

    path = (
        PROMPTS_FILE
        if recipe.data.source == "prompts"
        else _data_file(recipe, str(recipe.data.file))
    )
    rows = [{"prompt": _user(required_text(r, "prompt", path, n))} for n, r in read_rows(path)]
    if recipe.data.limit is not None:
        rows = rows[: recipe.data.limit]
    if not rows:
        raise DatasetError(path, "holds no prompts")
    return rows


def objective_rows(recipe: Recipe) -> tuple[list[dict[str, Any]], list[str]]:
    """MAH-DPO rows (``prompt``, ``chosen``, ``rejected``, ``dimension``) and the objectives.

    With ``data.source: ethics`` each subset is an objective; a file needs an
    ``objective`` column. ``mahdpo.objectives`` fixes the heads' order; rows
    of other objectives are an error.
    """
    from alignlab.datasets._rows import read_rows, required_text

    tagged: list[tuple[str, dict[str, Any]]] = []
    if recipe.data.source == "ethics":
        for subset in recipe.data.subsets:
            one = replace(recipe.data, subsets=(subset,))
            tagged.extend((subset, row) for row in ethics_rows(one, "dpo", recipe.train.seed))
        where = "data.subsets"
    else:
        path = _data_file(recipe, str(recipe.data.file))
        for line, row in read_rows(path):
            texts = {
                n: required_text(row, n, path, line)
                for n in ("prompt", "chosen", "rejected", "objective")
            }
            tagged.append(
                (
                    texts["objective"],
                    {
                        "prompt": _user(texts["prompt"]),
                        "chosen": _assistant(texts["chosen"]),
                        "rejected": _assistant(texts["rejected"]),
                    },
                )
            )
        where = str(path)
    seen = list(dict.fromkeys(name for name, _ in tagged))
    objectives = list(recipe.mahdpo.objectives) or seen
    unknown = [name for name in seen if name not in objectives]
    if unknown:
        raise AlignlabError(
            f"{recipe.path}: field 'mahdpo.objectives' lacks {', '.join(unknown)} found in {where}"
        )
    if len(objectives) < 2:
        raise AlignlabError(f"{recipe.path}: field 'mahdpo.objectives': MAH-DPO needs 2 or more")
    import random

    rows = [{**row, "dimension": objectives.index(name)} for name, row in tagged]
    random.Random(recipe.train.seed).shuffle(rows)
    return rows, objectives


# ------------------------------------------------------------------------------------- shared


def _load(base: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)


def _done(folder: Path) -> TrainOutcome | None:
    done = folder / DONE_FILE
    if not done.is_file():
        return None
    info = json.loads(done.read_text())
    return TrainOutcome(folder, info["losses"], info["seconds"], info["rows"], None)


def _run(trainer: Any, checkpoints: Path) -> tuple[float, str | None]:
    resume = latest_checkpoint(checkpoints)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    return time.perf_counter() - start, str(resume) if resume else None


def _merged(trainer: Any, peft: bool) -> Any:
    return trainer.model.merge_and_unload() if peft else trainer.model


def _train_trl(
    recipe: Recipe,
    base: Path,
    out: Path,
    rows: list[dict[str, Any]],
    trainer_class: Any,
    config_class: Any,
    settings: Mapping[str, Any],
    drop: Sequence[str] = (),
    extra: Callable[[Any], Mapping[str, Any]] | None = None,
    **trainer_args: Any,
) -> TrainOutcome:
    """One TRL trainer (LoRA when the recipe says, else full) from load to saved model.

    The config is the recipe's common arguments less ``drop``, updated with
    ``settings``; ``trainer_args`` go to the trainer as they are; ``extra(trainer)``
    adds to the saved model's provenance.
    """
    from datasets import Dataset

    tokenizer, model = _load(base)
    peft_config = _peft_config(recipe, int(model.config.num_hidden_layers))
    checkpoints = out / "checkpoints"
    common = _common_args(recipe, checkpoints)
    for key in drop:
        common.pop(key)
    trainer = trainer_class(
        model=model,
        args=config_class(**{**common, **settings}),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config,
        **trainer_args,
    )
    seconds, _ = _run(trainer, checkpoints)
    return finish_training(
        recipe,
        trainer,
        _merged(trainer, peft_config is not None),
        tokenizer,
        base,
        out,
        seconds,
        len(rows),
        extra(trainer) if extra else None,
    )


# ------------------------------------------------------------------------------------------ KTO


def train_kto(recipe: Recipe, base: Path, out: Path) -> TrainOutcome:
    """TRL ``KTOTrainer`` (LoRA or full) on :func:`kto_rows`."""
    from trl import KTOConfig, KTOTrainer

    settings = {"beta": recipe.train.beta, "loss_type": recipe.train.loss_type[0]}
    return _train_trl(recipe, base, out, kto_rows(recipe), KTOTrainer, KTOConfig, settings)


# ---------------------------------------------------------------------------------------- SACPO


def train_sacpo(recipe: Recipe, base: Path, out: Path) -> TrainOutcome:
    """Helpfulness DPO, then safety DPO against the first model, then the P-SACPO merges.

    Writes ``out/helpful/model``, ``out/safety/model`` (returned: the SACPO
    model) and ``out/merged/q<q>`` for each ``sacpo.merge`` value.
    """
    from alignlab.train.merge import linear_merge
    from alignlab.train.trainers import train

    s = recipe.sacpo
    helpful = replace(recipe, method="dpo", data=DataConfig(source="file", file=s.helpful_file))
    first = train(helpful, base, out / "helpful")
    safety = replace(
        recipe,
        method="dpo",
        data=DataConfig(source="file", file=s.safety_file),
        train=replace(recipe.train, beta=s.safety_beta),
    )
    second = train(safety, first.model_dir, out / "safety")
    from alignlab.train.convert import mark_source, read_source

    info = dict(read_source(second.model_dir) or {})
    if info.get("made_by") != "alignlab align (sacpo)":
        info.update(
            {
                "made_by": "alignlab align (sacpo)",
                "reference": str(first.model_dir),
                "beta_helpful": recipe.train.beta,
                "beta_safety": s.safety_beta,
            }
        )
        mark_source(second.model_dir, info)
    for q in s.merge:
        target = out / "merged" / f"q{q:g}"
        if not (target / "config.json").is_file():
            linear_merge([first.model_dir, second.model_dir], [1 - q, q], target)
    return TrainOutcome(
        second.model_dir,
        first.losses + second.losses,
        first.seconds + second.seconds,
        first.rows + second.rows,
        None,
    )


# -------------------------------------------------------------------------------------- MAH-DPO


def _head_switch_class() -> type:
    import torch

    class HeadSwitch(torch.nn.Module):
        """K output heads; ``active`` picks the one the forward (and TRL's fused head) uses."""

        bias = None

        def __init__(self, weight: torch.Tensor, count: int, noise: float, seed: int) -> None:
            super().__init__()
            out_features, in_features = weight.shape
            generator = torch.Generator().manual_seed(seed)
            heads = []
            for k in range(count):
                head = torch.nn.Linear(in_features, out_features, bias=False)
                data = weight.detach().clone().float()
                if k:
                    data += noise * torch.randn(data.shape, generator=generator)
                head.weight = torch.nn.Parameter(data)
                heads.append(head)
            self.heads = torch.nn.ModuleList(heads)
            self.active = 0

        @property
        def weight(self) -> torch.Tensor:
            head: Any = self.heads[self.active]
            return cast("torch.Tensor", head.weight)

        def forward(self, hidden: torch.Tensor) -> torch.Tensor:
            return self.heads[self.active](hidden)

    return HeadSwitch


def multi_head_model(base: Path, count: int, noise: float, seed: int, train_layers: int) -> Any:
    """The base model with :class:`HeadSwitch` as output head (untied from the embeddings).

    Only the heads, the final norm and the top ``train_layers`` layers train.
    """
    _, model = _load(base)
    weight = model.get_output_embeddings().weight
    model.config.tie_word_embeddings = False
    model.lm_head = _head_switch_class()(weight, count, noise, seed)
    n_layers = int(model.config.num_hidden_layers)
    trainable = ("lm_head.", "model.norm.") + tuple(
        f"model.layers.{i}." for i in range(max(0, n_layers - train_layers), n_layers)
    )
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(trainable)
    return model


def _dpo_trainer_class() -> type:
    import torch
    from trl import DPOTrainer
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    class DimensionCollator(DataCollatorForPreference):
        def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
            batch = super().torch_call(examples)
            batch["dimension"] = torch.tensor([int(e["dimension"]) for e in examples])
            return batch

    class MultiHeadDPOTrainer(DPOTrainer):
        """DPO per objective through its head; the step's loss is the mean over objectives."""

        collator_class = DimensionCollator

        def _set_signature_columns_if_needed(self) -> None:
            super()._set_signature_columns_if_needed()
            if self._signature_columns is not None and "dimension" not in self._signature_columns:
                self._signature_columns = [*self._signature_columns, "dimension"]

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            dims = inputs.pop("dimension")
            size = dims.shape[0]
            policy = self.accelerator.unwrap_model(model).get_output_embeddings()
            reference = self.ref_model.get_output_embeddings() if self.ref_model else None
            losses = []
            for d in dims.unique().tolist():
                rows = (dims == d).nonzero().flatten()
                both = torch.cat([rows, rows + size])
                part = {
                    key: value[both] if value.shape[0] == 2 * size else value[rows]
                    for key, value in inputs.items()
                }
                policy.active = int(d)
                if reference is not None:
                    reference.active = int(d)
                losses.append(super().compute_loss(model, part))
            policy.active = 0
            if reference is not None:
                reference.active = 0
            loss = torch.stack(losses).mean()
            return (loss, {}) if return_outputs else loss

    return MultiHeadDPOTrainer


def train_mahdpo(recipe: Recipe, base: Path, out: Path) -> TrainOutcome:
    """MAH-DPO on :func:`objective_rows`; saves the trunk, all heads and an equal-weight mix."""
    import torch
    from datasets import Dataset
    from trl import DPOConfig

    rows, objectives = objective_rows(recipe)
    m = recipe.mahdpo
    tokenizer, _ = _load(base)
    model = multi_head_model(base, len(objectives), m.noise, recipe.train.seed, m.train_layers)
    reference = multi_head_model(base, len(objectives), m.noise, recipe.train.seed, 0)
    reference.eval()
    reference.requires_grad_(False)
    checkpoints = out / "checkpoints"
    trainer_class: Any = _dpo_trainer_class()
    args = DPOConfig(
        **_common_args(recipe, checkpoints),
        beta=recipe.train.beta,
        loss_type=list(recipe.train.loss_type),
    )
    trainer = trainer_class(
        model=model,
        ref_model=reference,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        data_collator=trainer_class.collator_class(
            pad_token_id=tokenizer.pad_token_id,
            max_length=args.max_length,
            truncation_mode=args.truncation_mode,
        ),
    )
    seconds, _ = _run(trainer, checkpoints)
    heads = [h.weight.detach().clone() for h in model.lm_head.heads]
    model.lm_head = torch.nn.Linear(heads[0].shape[1], heads[0].shape[0], bias=False)
    model.lm_head.weight = torch.nn.Parameter(torch.stack(heads).mean(0))
    outcome = finish_training(
        recipe,
        trainer,
        model,
        tokenizer,
        base,
        out,
        seconds,
        len(rows),
        {"objectives": objectives, "head_weights": [1 / len(heads)] * len(heads)},
    )
    from safetensors.torch import save_file

    save_file(
        {f"heads.{k}": h.contiguous() for k, h in enumerate(heads)},
        str(outcome.model_dir / HEADS_WEIGHTS),
    )
    (outcome.model_dir / HEADS_FILE).write_text(
        json.dumps({"objectives": objectives, "served_weights": [1 / len(heads)] * len(heads)})
        + "\n"
    )
    return outcome


def read_heads(checkpoint: str | Path) -> tuple[list[str], list[Any]]:
    """The objectives and head weight matrices a MAH-DPO checkpoint holds."""
    from safetensors.torch import load_file

    checkpoint = Path(checkpoint)
    info_file = checkpoint / HEADS_FILE
    if not info_file.is_file():
        raise AlignlabError(f"{checkpoint}: not a MAH-DPO checkpoint (no {HEADS_FILE})")
    objectives = list(json.loads(info_file.read_text())["objectives"])
    tensors = load_file(str(checkpoint / HEADS_WEIGHTS))
    return objectives, [tensors[f"heads.{k}"] for k in range(len(objectives))]


def mix_heads(
    checkpoint: str | Path, weights: Mapping[str, float] | Sequence[float], output: str | Path
) -> Path:
    """Serve a MAH-DPO model under user weights: a plain checkpoint whose head mixes the heads.

    MAH-DPO's ensemble decoding takes ``sum_k w_k logits_k`` with the weights
    renormalised to sum to 1. The heads are linear maps of one hidden state,
    so that equals the logits of the single head ``sum_k w_k W_k``: the mixed
    checkpoint is an ordinary model that ``alignlab eval --model hf/<output>``,
    ``transformers`` and the GGUF exporter run at the cost of one head.

    Raises:
        AlignlabError: weights that name unknown objectives, do not match the
            heads, are negative or sum to zero (the objectives are listed).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    objectives, heads = read_heads(checkpoint)
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(objectives)
        if unknown:
            raise AlignlabError(
                f"unknown objective(s) {', '.join(sorted(unknown))}; heads: {', '.join(objectives)}"
            )
        values = [float(weights.get(name, 0.0)) for name in objectives]
    else:
        values = [float(w) for w in weights]
        if len(values) != len(objectives):
            raise AlignlabError(
                f"{len(values)} weights for {len(objectives)} heads ({', '.join(objectives)})"
            )
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise AlignlabError("head weights must be non-negative with a positive sum")
    total = sum(values)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32)
    mixed = sum(v / total * h for v, h in zip(values, heads, strict=True))
    model.get_output_embeddings().weight = torch.nn.Parameter(mixed)
    output = Path(output)
    model.save_pretrained(output)
    AutoTokenizer.from_pretrained(checkpoint).save_pretrained(output)
    from alignlab.train.convert import mark_source, read_source

    info = dict(read_source(Path(checkpoint)) or {})
    info.update(
        {"made_by": "mix_heads", "head_weights": dict(zip(objectives, values, strict=True))}
    )
    mark_source(output, info)
    return output


# ----------------------------------------------------------------------------------------- GRPO


def train_grpo(recipe: Recipe, base: Path, out: Path) -> TrainOutcome:
    """TRL ``GRPOTrainer`` with ArGen's principle reward (the output auditor's function)."""
    from trl import GRPOConfig, GRPOTrainer

    from alignlab.policy.principles import PrincipleReward

    g = recipe.grpo
    reward = PrincipleReward.for_bundle(g.bundle, g.weights)
    batch = max(g.num_generations, recipe.train.batch_size // g.num_generations * g.num_generations)
    settings = {
        "per_device_train_batch_size": batch,
        "beta": recipe.train.beta,
        "loss_type": recipe.train.loss_type[0],
        "num_generations": g.num_generations,
        "max_completion_length": g.max_completion_length,
        "temperature": g.temperature,
    }

    def provenance(trainer: Any) -> dict[str, Any]:
        rewards = [float(e["reward"]) for e in trainer.state.log_history if "reward" in e]
        return {"bundle": g.bundle, "rewards": rewards}

    return _train_trl(
        recipe,
        base,
        out,
        prompt_rows(recipe),
        GRPOTrainer,
        GRPOConfig,
        settings,
        drop=("max_length",),
        extra=provenance,
        reward_funcs=[reward],
    )


TRAINERS = {"kto": train_kto, "sacpo": train_sacpo, "mahdpo": train_mahdpo, "grpo": train_grpo}


def train_method(recipe: Recipe, base: Path, out: Path) -> TrainOutcome:
    """Train by one of :data:`TRAINERS`; a finished run is returned as it is."""
    if recipe.method != "sacpo":
        finished = _done(out / "model")
        if finished is not None:
            return finished
    import torch

    if recipe.train.threads:
        torch.set_num_threads(recipe.train.threads)
    torch.manual_seed(recipe.train.seed)
    return TRAINERS[recipe.method](recipe, base, out)


__all__ = [
    "HEADS_FILE",
    "TRAINERS",
    "kto_rows",
    "mix_heads",
    "multi_head_model",
    "objective_rows",
    "prompt_rows",
    "read_heads",
    "train_grpo",
    "train_kto",
    "train_mahdpo",
    "train_method",
    "train_sacpo",
]
