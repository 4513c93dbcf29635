"""The forbidden-topic screen against full MiniLM: agreement of decisions, and cost per message.

For texts written for other purposes and bundled with alignlab (the bundles'
example conversations, the red-team prompts, the contextual-harm prompts, the
worldview questions, 200 ETHICS commonsense scenarios), computes every topic
of the ``general`` bundle's similarity with full MiniLM and with the static
embedding, then reports: how often the screen skips MiniLM; whether any text
that full MiniLM puts at or above the bundle's topic threshold (or the lower
``--margin`` level) was screened out (a missed denial); and the time per
message of each path (the static one once its word pieces' vectors exist).

Usage: ``python bench/bench_topics.py [--screen 0.65] [--margin 0.45]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PACKAGE = ROOT / "src" / "alignlab"


def corpus() -> list[str]:
    texts: list[str] = []
    for path in sorted((PACKAGE / "policy" / "bundles").glob("*/examples.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            texts += [m["content"] for m in row["messages"] if m["role"] == "user"]
            if row.get("response"):
                texts.append(row["response"])
    for path, key in (
        (PACKAGE / "policy" / "redteam" / "prompts.jsonl", "prompt"),
        (PACKAGE / "benchmarks" / "contextual_harm" / "data" / "prompts.jsonl", "prompt"),
        (PACKAGE / "benchmarks" / "worldview" / "data" / "questions.jsonl", "question"),
    ):
        texts += [json.loads(line)[key] for line in path.read_text().splitlines()]
    scenarios = PACKAGE / "benchmarks" / "ethics" / "data" / "commonsense" / "cm_test.csv"
    with scenarios.open() as handle:
        texts += [row["input"] for row in csv.DictReader(handle)][:200]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", type=float, default=None)
    parser.add_argument("--margin", type=float, default=0.45)
    args = parser.parse_args()

    from alignlab.policy import resolve_bundle
    from alignlab.policy.bundle import PolicyBundle
    from alignlab.policy.features import TOPIC_SCREEN, TopicIndex
    from alignlab.serve.cli import single_threaded_kernels

    single_threaded_kernels()
    screen = TOPIC_SCREEN if args.screen is None else args.screen
    data = PolicyBundle.load(resolve_bundle("general")).data
    threshold = float(data["thresholds"]["topic"])
    index = TopicIndex(data["topics"], screen)
    texts = corpus()
    full, static, full_ms, static_ms = [], [], [], []
    for text in texts:  # first sight of each word piece computes its vector: not timed
        index.static_similarities(text)
    for text in texts:
        started = time.perf_counter()
        static.append(index.static_similarities(text))
        static_ms.append((time.perf_counter() - started) * 1000.0)
        started = time.perf_counter()
        full.append(index.similarities(text))
        full_ms.append((time.perf_counter() - started) * 1000.0)
    names = index.names
    f = np.array([[row[n] for n in names] for row in full])
    s = np.array([[row[n] for n in names] for row in static])
    skipped = (s < screen).all(axis=1)
    print(f"{len(texts)} texts x {len(names)} topics; screen {screen}, threshold {threshold}")
    print(f"pearson r (full vs static, all pairs): {np.corrcoef(f.ravel(), s.ravel())[0, 1]:.3f}")
    print(f"screen skips MiniLM for {skipped.sum()} of {len(texts)} texts ({skipped.mean():.1%})")
    for level in (threshold, args.margin):
        above = (f >= level).any(axis=1)
        missed = above & skipped
        print(
            f"texts with a full score >= {level}: {above.sum()}; screened out among them: "
            f"{missed.sum()}"
        )
    low = s[f >= args.margin]
    if low.size:
        print(f"lowest static score of a pair with full >= {args.margin}: {low.min():.3f}")
    decided_full = (f >= threshold).any(axis=1)
    decided = decided_full & ~skipped
    print(f"deny decisions equal to full MiniLM's: {(decided == decided_full).mean():.1%}")
    for name, values in (("static (screen)", static_ms), ("full MiniLM", full_ms)):
        p50, p99 = np.percentile(values, 50), np.percentile(values, 99)
        print(f"{name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
