"""Training recipes: a YAML file read into typed configs, with errors that name the file and field.

A recipe says which model to start from, which data to train on, which TRL
method (``sft``, ``dpo``, ``kto``, ``sacpo``, ``mahdpo``, ``grpo``; the last
four are assembled in :mod:`alignlab.train.methods`) with which options,
LoRA or full fine-tuning, and
which tasks to evaluate before and after. :func:`load_recipe` checks every
field; :func:`example_recipe` returns the commented examples shipped in
``train/recipes/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from alignlab.errors import AlignlabError

METHODS = ("sft", "dpo", "kto", "sacpo", "mahdpo", "grpo")
EXAMPLES_DIR = Path(__file__).parent / "recipes"


class RecipeError(AlignlabError):
    """A recipe file that cannot be used; the message names the file and the field."""


def dpo_loss_types() -> tuple[str, ...]:
    """The DPO loss types the installed TRL accepts (read from ``DPOConfig``'s field help)."""
    from trl import DPOConfig

    help_text = DPOConfig.__dataclass_fields__["loss_type"].metadata["help"]
    return tuple(dict.fromkeys(re.findall(r"`'([a-z_]+)'`", help_text)))


def kto_loss_types() -> tuple[str, ...]:
    """The KTO loss types the installed TRL accepts (``KTOConfig.loss_type`` choices)."""
    from trl import KTOConfig

    return tuple(KTOConfig.__dataclass_fields__["loss_type"].metadata["choices"])


def grpo_loss_types() -> tuple[str, ...]:
    """The GRPO loss types the installed TRL accepts (read from ``GRPOConfig``'s field help)."""
    from trl import GRPOConfig

    help_text = GRPOConfig.__dataclass_fields__["loss_type"].metadata["help"]
    head = help_text.split("Supported values are", 1)[-1].split(".", 1)[0]
    return tuple(dict.fromkeys(re.findall(r"'([a-z_]+)'", head)))


METHOD_LOSSES = {"kto": ("kto", kto_loss_types), "grpo": ("dapo", grpo_loss_types)}
"""Methods whose losses are not DPO's: their default loss type and the known ones."""


@dataclass(frozen=True)
class DataConfig:
    """What to train on: the bundled ETHICS-style items (``source: ethics``), the bundled
    prompts (``source: prompts``, GRPO only) or a file."""

    source: str = "ethics"
    subsets: tuple[str, ...] = ("commonsense",)
    variants: tuple[str, ...] = ("paper", "reverse")
    file: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class LoraConfig:
    """PEFT LoRA on the attention and MLP projections, optionally of the top layers only."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    top_layers: int | None = None
    target_modules: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )


@dataclass(frozen=True)
class TrainConfig:
    """Trainer options (passed on to TRL's ``SFTConfig`` / ``DPOConfig``)."""

    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 1e-4
    batch_size: int = 8
    max_length: int = 160
    save_steps: int = 20
    seed: int = 0
    beta: float = 0.1
    loss_type: tuple[str, ...] = ("sigmoid",)
    threads: int | None = None
    lr_scheduler: str = "constant_with_warmup"
    warmup_steps: int = 2
    # full fine-tuning only (no `lora` section): what stays fixed
    freeze_embeddings: bool = False  # the token embeddings (tied to the output layer in SmolLM2)
    train_layers: int | None = None  # only the top N transformer layers learn; None: all


@dataclass(frozen=True)
class EvalConfig:
    """Tasks run before and after training, each under each prompt variant."""

    tasks: tuple[str, ...] = ("ethics_commonsense",)
    variants: tuple[str, ...] = ("paper", "reverse")
    limit: int | None = None
    batch_size: int = 32


@dataclass(frozen=True)
class SacpoConfig:
    """SACPO (Wachi et al. 2024): helpfulness DPO, then safety DPO against the first model.

    Each stage reads a preference file (``prompt``, ``chosen``, ``rejected``);
    stage 1 uses ``train.beta``, stage 2 ``safety_beta`` (= beta / lambda).
    ``merge`` lists P-SACPO's q values: ``(1 - q) theta_helpful + q theta_safe``.
    """

    helpful_file: str | None = None
    safety_file: str | None = None
    safety_beta: float = 0.025
    merge: tuple[float, ...] = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class MahdpoConfig:
    """MAH-DPO (Shen et al. 2025): one output head per objective on a shared trunk.

    ``objectives`` name the heads in order (default: the data's objectives in
    order of first appearance; with ``data.source: ethics`` the subsets).
    The heads and the top ``train_layers`` layers are trained in full.
    """

    objectives: tuple[str, ...] = ()
    noise: float = 0.001
    train_layers: int = 4


@dataclass(frozen=True)
class GrpoConfig:
    """GRPO with ArGen's weighted principle rewards (``policy.principles.PrincipleReward``)."""

    bundle: str | None = "general"
    weights: dict[str, float] | None = None
    num_generations: int = 4
    max_completion_length: int = 48
    temperature: float = 0.9


@dataclass(frozen=True)
class Recipe:
    """One ``alignlab align`` run."""

    path: Path
    method: str
    model: str = "alignlab/smollm2"
    output: str = "runs/align"
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    lora: LoraConfig | None = field(default_factory=LoraConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    export_gguf: str | None = None
    sacpo: SacpoConfig = field(default_factory=SacpoConfig)
    mahdpo: MahdpoConfig = field(default_factory=MahdpoConfig)
    grpo: GrpoConfig = field(default_factory=GrpoConfig)

    @property
    def output_dir(self) -> Path:
        """The output folder; a relative one is taken from the recipe file's folder."""
        out = Path(self.output).expanduser()
        return out if out.is_absolute() else self.path.parent / out


def _fail(path: Path, where: str, message: str) -> RecipeError:
    return RecipeError(f"{path}: field '{where}': {message}")


_TUPLES = {"subsets", "variants", "target_modules", "loss_type", "tasks", "objectives"}
_INTS = {"limit", "top_layers", "threads", "train_layers"}


def _section(path: Path, name: str, raw: Any, cls: type) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise _fail(path, name, f"must be a mapping of options, not {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{name}.{key}"
        if key not in known:
            raise _fail(path, where, f"unknown option; known: {', '.join(known)}")
        default = getattr(cls(), key)
        if key == "merge":
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(v, int | float) and 0 <= v <= 1 for v in items):
                raise _fail(path, where, "must be a list of numbers between 0 and 1")
            values[key] = tuple(float(v) for v in items)
        elif key == "weights":
            if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and v >= 0 for v in value.values()
            ):
                raise _fail(path, where, "must map principle names to non-negative numbers")
            values[key] = {str(k): float(v) for k, v in value.items()}
        elif key in _TUPLES:
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                raise _fail(path, where, "must be a name or a list of names")
            values[key] = tuple(items)
        elif value is None:
            values[key] = None
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise _fail(path, where, f"must be true or false, not {value!r}")
            values[key] = value
        elif key in _INTS or (isinstance(default, int) and not isinstance(default, bool)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise _fail(path, where, f"must be an integer, not {value!r}")
            values[key] = value
        elif isinstance(default, float):
            try:
                values[key] = float(value)
            except (TypeError, ValueError):
                raise _fail(path, where, f"must be a number, not {value!r}") from None
        else:
            values[key] = value
    return cls(**values)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file.

    Raises:
        RecipeError: the file is missing or not YAML, a field is unknown or of
            the wrong type, the method or a DPO loss type is unknown (the
            message lists the known ones).
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise RecipeError(
            f"{path}: recipe file not found (write one with `alignlab align --example ethics-sft`)"
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as ex:
        raise RecipeError(f"{path}: not valid YAML: {ex}") from None
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of fields (method, model, data, ...)")
    top = {
        "method",
        "model",
        "output",
        "data",
        "train",
        "lora",
        "eval",
        "export_gguf",
        "sacpo",
        "mahdpo",
        "grpo",
    }
    for key in raw:
        if key not in top:
            raise _fail(path, str(key), f"unknown field; known: {', '.join(sorted(top))}")
    method = raw.get("method")
    if method not in METHODS:
        raise _fail(path, "method", f"unknown method {method!r}; known: {', '.join(METHODS)}")
    data = _section(path, "data", raw.get("data"), DataConfig)
    data_raw: dict[str, Any] = raw["data"] if isinstance(raw.get("data"), dict) else {}
    if method == "grpo" and "source" not in data_raw:
        data = replace(data, source="prompts")
    if data.source not in ("ethics", "file", "prompts"):
        raise _fail(
            path,
            "data.source",
            "must be 'ethics' (bundled items), 'prompts' (bundled prompts, grpo) or 'file'",
        )
    if data.source == "file" and not data.file:
        raise _fail(path, "data.file", "needed when data.source is 'file'")
    if (data.source == "prompts") != (method == "grpo") and data.source != "file":
        raise _fail(
            path,
            "data.source",
            "grpo trains on prompts ('prompts' or 'file'); other methods on 'ethics' or 'file'",
        )
    train = _section(path, "train", raw.get("train"), TrainConfig)
    from transformers.trainer_utils import SchedulerType

    schedulers = [s.value for s in SchedulerType]
    if train.lr_scheduler not in schedulers:
        raise _fail(
            path,
            "train.lr_scheduler",
            f"unknown scheduler {train.lr_scheduler!r}; known: {', '.join(schedulers)}",
        )
    train_raw: dict[str, Any] = raw["train"] if isinstance(raw.get("train"), dict) else {}
    if method in METHOD_LOSSES:
        default_loss, known_losses = METHOD_LOSSES[method]
        if "loss_type" not in train_raw:
            train = replace(train, loss_type=(default_loss,))
        known = known_losses()
        if len(train.loss_type) != 1 or train.loss_type[0] not in known:
            raise _fail(
                path,
                "train.loss_type",
                f"unknown {method.upper()} loss type '{','.join(train.loss_type)}' (one of): "
                + ", ".join(known),
            )
    elif method in ("dpo", "sacpo", "mahdpo"):
        known = dpo_loss_types()
        for loss in train.loss_type:
            if loss not in known:
                raise _fail(
                    path,
                    "train.loss_type",
                    f"unknown DPO loss type '{loss}'; known: " + ", ".join(known),
                )
    lora = (
        None
        if raw.get("lora", {}) is False
        else _section(path, "lora", raw.get("lora"), LoraConfig)
    )
    if method == "mahdpo" and lora is not None:
        raise _fail(
            path, "lora", "mahdpo trains its heads and top layers in full: write `lora: false`"
        )
    evaluation = _section(path, "eval", raw.get("eval"), EvalConfig)
    sacpo = _section(path, "sacpo", raw.get("sacpo"), SacpoConfig)
    if method == "sacpo":
        for name in ("helpful_file", "safety_file"):
            if not getattr(sacpo, name):
                raise _fail(path, f"sacpo.{name}", "needed for method sacpo (a preference file)")
    mahdpo = _section(path, "mahdpo", raw.get("mahdpo"), MahdpoConfig)
    grpo = _section(path, "grpo", raw.get("grpo"), GrpoConfig)
    if grpo.num_generations < 2:
        raise _fail(path, "grpo.num_generations", "GRPO compares 2 or more answers per prompt")
    export = raw.get("export_gguf")
    if export is not None:
        from alignlab.train.convert import GGUF_TYPES

        if export not in GGUF_TYPES:
            raise _fail(path, "export_gguf", f"must be one of {', '.join(GGUF_TYPES)} or absent")
    return Recipe(
        path=path,
        method=str(method),
        model=str(raw.get("model", "alignlab/smollm2")),
        output=str(raw.get("output", f"runs/{path.stem}")),
        data=data,
        train=train,
        lora=lora,
        eval=evaluation,
        export_gguf=export,
        sacpo=sacpo,
        mahdpo=mahdpo,
        grpo=grpo,
    )


def example_names() -> list[str]:
    """Names of the example recipes shipped with alignlab."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))


def example_recipe(name: str) -> str:
    """The text of one shipped example recipe.

    Raises:
        RecipeError: no example of that name (the message lists them).
    """
    path = EXAMPLES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise RecipeError(f"No example recipe '{name}'; examples: {', '.join(example_names())}")
    return path.read_text()


__all__ = [
    "METHODS",
    "DataConfig",
    "EvalConfig",
    "GrpoConfig",
    "MahdpoConfig",
    "SacpoConfig",
    "grpo_loss_types",
    "kto_loss_types",
    "LoraConfig",
    "Recipe",
    "RecipeError",
    "TrainConfig",
    "dpo_loss_types",
    "example_names",
    "example_recipe",
    "load_recipe",
]
