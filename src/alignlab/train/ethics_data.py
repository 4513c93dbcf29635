"""The bundled ETHICS-style training data: where it lives, and its texts for overlap checks.

``data/ethics/`` holds items written by this project in the ETHICS file layout
(one ``*_train.csv`` per subset), so :func:`alignlab.benchmarks.ethics.data.load_ethics`
reads it with ``data_dir=ALIGN_DATA_DIR, split="train"`` and the ETHICS task
templates render it exactly as the evaluation asks. None of its scenarios
appears among the bundled evaluation items (``tests/train/test_training_items.py``
checks the normalised texts and near-copies). See ``data/ethics/CARD.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from alignlab.benchmarks.ethics.data import SUBSETS, EthicsItem, load_ethics

ALIGN_DATA_DIR = Path(__file__).parent / "data" / "ethics"
ALIGN_SPLIT = "train"


def normalise(text: str) -> str:
    """Lower case, letters and digits only, single spaces: the form texts are compared in."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def scenario_texts(item: EthicsItem) -> list[str]:
    """The scenario texts of one item (not its trait word or excuse alone)."""
    f = item.fields
    if item.subset == "commonsense":
        return [f["input"]]
    if item.subset == "deontology":
        return [f["scenario"], f"{f['scenario']} {f['excuse']}"]
    if item.subset == "virtue":
        return [f["scenario"]]
    if item.subset == "utilitarianism":
        return [f["activity"], f["baseline"]]
    return [f["scenario"]]


def align_items(subset: str) -> list[EthicsItem]:
    """The bundled training items of one ETHICS subset."""
    return load_ethics(subset, ALIGN_DATA_DIR, ALIGN_SPLIT)


def all_align_items() -> list[EthicsItem]:
    """Every bundled training item, subset by subset."""
    return [item for subset in SUBSETS for item in align_items(subset)]


__all__ = [
    "ALIGN_DATA_DIR",
    "ALIGN_SPLIT",
    "align_items",
    "all_align_items",
    "normalise",
    "scenario_texts",
]
