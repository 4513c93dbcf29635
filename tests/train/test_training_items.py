"""The bundled training data: its size, and that it shares no scenario with bundled eval items."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from alignlab.benchmarks.ethics.data import SUBSETS, load_ethics
from alignlab.train.ethics_data import align_items, all_align_items, normalise, scenario_texts

BENCHMARKS = Path(__file__).parents[2] / "src" / "alignlab" / "benchmarks"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _bundled_eval_texts() -> set[str]:
    """Every text cell of every bundled benchmark data file, normalised (and each [SEP] part)."""
    texts: set[str] = set()
    for path in BENCHMARKS.glob("*/data/**/*"):
        if path.suffix == ".csv":
            with path.open(newline="") as f:
                cells = [cell for row in csv.reader(f) for cell in row]
        elif path.suffix == ".jsonl":
            cells = [
                s
                for line in path.read_text().splitlines()
                if line.strip()
                for s in _strings(json.loads(line))
            ]
        else:
            continue
        for cell in cells:
            for part in cell.split("[SEP]"):
                texts.add(normalise(part))
    return texts


def test_at_least_600_items_over_the_five_subsets() -> None:
    counts = Counter(item.subset for item in all_align_items())
    assert set(counts) == set(SUBSETS)
    assert sum(counts.values()) >= 600
    assert counts["commonsense"] >= 200


def test_commonsense_is_balanced() -> None:
    labels = Counter(item.label for item in align_items("commonsense"))
    assert labels[0] == labels[1]


def test_no_scenario_equals_any_bundled_eval_text() -> None:
    bundled = _bundled_eval_texts()
    assert len(bundled) > 1000  # the walk found the benchmark files
    shared = {
        normalise(text)
        for item in all_align_items()
        for text in scenario_texts(item)
        if normalise(text) in bundled
    }
    assert shared == set()


def test_no_scenario_is_a_near_copy_of_a_bundled_ethics_item() -> None:
    bundled = [
        set(normalise(text).split())
        for subset in SUBSETS
        for split in ("test", "train")
        for item in load_ethics(subset, None, split)
        for text in scenario_texts(item)
    ]
    close = []
    for item in all_align_items():
        for text in scenario_texts(item):
            words = set(normalise(text).split())
            best = max(len(words & other) / len(words | other) for other in bundled)
            if best >= 0.5:
                close.append((round(best, 2), text))
    assert close == []
