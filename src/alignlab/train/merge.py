"""Linear weight merging of checkpoints of one architecture (P-SACPO, Wachi et al. 2024).

P-SACPO trains the safety step once with a conservative lambda and obtains
intermediate trade-offs by averaging weights: ``theta(q) = (1 - q) theta_r +
q theta_{r + lambda g}`` (the repo merges with mergekit's ``linear`` method).
:func:`linear_merge` is that weighted average over any number of HF
checkpoints, weights renormalised to sum to 1.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from alignlab.errors import ModelError


def linear_merge(
    checkpoints: Sequence[str | Path], weights: Sequence[float], output: str | Path
) -> Path:
    """Save ``sum_k w_k theta_k / sum_k w_k`` of the checkpoints' weights to ``output``.

    The tokenizer and config of the first checkpoint are kept.

    Raises:
        ModelError: fewer than two checkpoints, weights that do not match them or
            sum to zero, or checkpoints whose tensors differ in names or shapes.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if len(checkpoints) < 2 or len(weights) != len(checkpoints):
        raise ModelError("linear_merge needs two or more checkpoints and one weight for each")
    total = float(sum(weights))
    if total == 0:
        raise ModelError("linear_merge weights sum to zero")
    models = [AutoModelForCausalLM.from_pretrained(c, dtype=torch.float32) for c in checkpoints]
    states = [m.state_dict() for m in models]
    names = set(states[0])
    for path, state in zip(checkpoints[1:], states[1:], strict=True):
        if set(state) != names or any(state[n].shape != states[0][n].shape for n in names):
            raise ModelError(f"{path} does not have the tensors of {checkpoints[0]}")
    merged = {
        name: sum(float(w) / total * s[name] for w, s in zip(weights, states, strict=True))
        for name in names
    }
    models[0].load_state_dict(merged)
    output = Path(output)
    models[0].save_pretrained(output)
    AutoTokenizer.from_pretrained(checkpoints[0]).save_pretrained(output)
    source = Path(checkpoints[0]) / "alignlab_source.json"
    info = json.loads(source.read_text()) if source.is_file() else {}
    info.update(
        {
            "made_by": "linear_merge",
            "merged": [str(c) for c in checkpoints],
            "weights": [float(w) / total for w in weights],
        }
    )
    (output / "alignlab_source.json").write_text(json.dumps(info, indent=2) + "\n")
    return output


__all__ = ["linear_merge"]
