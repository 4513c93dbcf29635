"""Benchmarks for the value-ranking metrics: Thurstonian fit speed, robust BTL, active learning.

Run from the repository root::

    .venv/bin/python bench/bench_values.py            # full run, a few minutes on 2 cores
    .venv/bin/python bench/bench_values.py --seeds 2  # quicker, noisier

Prints Markdown tables; bench/VALUES.md records a run. Everything is simulated from
known utilities, so no model or network is needed. The machine may be shared: the load
average is printed before and after the timings, and timings are the median of 3 runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
from scipy.special import expit, ndtr
from scipy.stats import spearmanr

from alignlab.metrics import (
    active_learning_budget,
    bradley_terry,
    flip_comparisons,
    kendall_tau,
    robust_bradley_terry,
    select_next_pairs,
    thurstonian_fit,
)

try:
    import choix
except ImportError:  # choix is a dev dependency; its column is skipped without it
    choix = None


def machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"load average {load}"
    )


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# --- 1. Thurstonian fit: speed and held-out accuracy ------------------------------------------


def thurstonian_utilities(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=n), rng.uniform(0.25, 1.0, n)


def p_first_wins(mu: np.ndarray, var: np.ndarray, i: Any, j: Any) -> Any:
    return ndtr((mu[i] - mu[j]) / np.sqrt(var[i] + var[j]))


def bench_thurstonian_speed() -> str:
    rows = []
    rng = np.random.default_rng(0)
    n, m = 500, 50_000
    mu, var = thurstonian_utilities(n, rng)
    i = rng.integers(0, n, m)
    j = (i + rng.integers(1, n, m)) % n
    first_wins = rng.random(m) < p_first_wins(mu, var, i, j)
    hard = [
        (int(a), int(b)) if won else (int(b), int(a))
        for a, b, won in zip(i, j, first_wins, strict=True)
    ]
    # The paper's shape: floor(2 n log2 n) distinct pairs, each with a soft label from
    # 10 samples in each of the two orders (20 answers).
    n_edges = active_learning_budget(n)
    pairs = np.array(sorted({tuple(sorted(p)) for p in rng.integers(0, n, (3 * n_edges, 2))}))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]][:n_edges]
    share = rng.binomial(20, p_first_wins(mu, var, pairs[:, 0], pairs[:, 1])) / 20
    soft = [(int(a), int(b), float(p)) for (a, b), p in zip(pairs, share, strict=True)]
    for name, data in (
        (f"{m:,} hard (winner, loser) comparisons", hard),
        (f"{len(soft):,} pairs with soft labels (20 answers each)", soft),
    ):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fit = thurstonian_fit(n, data, holdout=0.05, seed=42)
            times.append(time.perf_counter() - start)
        rows.append(
            [
                name,
                f"{statistics.median(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})",
                f"{fit.holdout_accuracy:.3f}",
                f"{fit.holdout_log_loss:.3f}",
                f"{spearmanr(fit.means, mu).statistic:.4f}",
                f"{kendall_tau(fit.means, mu):.4f}",
            ]
        )
    return table(
        [
            f"{n} options",
            "fit time, median of 3 (runs)",
            "held-out acc. (5%)",
            "held-out log loss",
            "Spearman vs truth",
            "Kendall vs truth",
        ],
        rows,
    )


# --- 2. Robust BTL under flipped comparisons --------------------------------------------------


def round_robin(n: int, per_pair: int, seed: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    data = []
    for a in range(n):
        for b in range(a + 1, n):
            for _ in range(per_pair):
                data.append((a, b) if rng.random() < expit(theta[a] - theta[b]) else (b, a))
    return theta, data


def block_attack(data: list[tuple[int, int]], theta: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Reverse every comparison between the true top-k and bottom-k items."""
    order = np.argsort(-theta)
    top, bottom = set(order[:k].tolist()), set(order[-k:].tolist())
    return [(b, a) if ({a, b} & top and {a, b} & bottom) else (a, b) for a, b in data]


Attack = Callable[[list[tuple[int, int]], np.ndarray, int], list[tuple[int, int]]]


def robustness_row(label: str, per_pair: int, attack: Attack, seeds: int, n: int = 20) -> list[Any]:
    taus: dict[str, list[float]] = {"bt": [], "choix": [], "robust": []}
    flipped_share = []
    regularised: list[int] = []
    for seed in range(seeds):
        theta, clean = round_robin(n, per_pair, seed)
        data = attack(clean, theta, seed)
        flipped_share.append(np.mean([x != y for x, y in zip(clean, data, strict=True)]))
        try:
            alpha = 0.0
            plain = bradley_terry(n, data)
        except ValueError:  # some item never wins or never loses: MLE undefined
            alpha = 0.01
            plain = bradley_terry(n, data, alpha=alpha)
            regularised.append(seed)
        taus["bt"].append(kendall_tau(plain, theta))
        if choix is not None:
            taus["choix"].append(kendall_tau(choix.ilsr_pairwise(n, data, alpha=alpha), theta))
        taus["robust"].append(kendall_tau(robust_bradley_terry(n, data), theta))
    gain = np.subtract(taus["robust"], taus["bt"])
    if regularised:
        label += f" (alpha=0.01 for seeds {regularised})"
    return [
        label,
        per_pair,
        f"{np.mean(flipped_share):.1%}",
        f"{np.mean(taus['bt']):.3f}",
        f"{np.mean(taus['choix']):.3f}" if taus["choix"] else "n/a",
        f"{np.mean(taus['robust']):.3f}",
        f"{gain.mean():+.3f} ({gain.min():+.3f} .. {gain.max():+.3f})",
    ]


def bench_robustness(seeds: int) -> str:
    def adversarial(fraction: float, cap: float = 1 / 3) -> Attack:
        def attack(data: list[tuple[int, int]], theta: np.ndarray, seed: int) -> Any:
            return flip_comparisons(data, fraction, seed=seed, true_scores=theta, max_per_item=cap)

        return attack

    def uniform(fraction: float) -> Attack:
        def attack(data: list[tuple[int, int]], theta: np.ndarray, seed: int) -> Any:
            return flip_comparisons(data, fraction, seed=seed, adversarial=False)

        return attack

    rows = [
        robustness_row(f"adversarial {fraction:.0%}", 10, adversarial(fraction), seeds)
        for fraction in (0.0, 0.1, 0.2, 0.3)
    ]
    rows += [
        robustness_row(f"adversarial {fraction:.0%}", 5, adversarial(fraction), seeds)
        for fraction in (0.0, 0.2, 0.3)
    ]
    rows += [
        robustness_row("adversarial 20%", 2, adversarial(0.2), seeds),
        robustness_row("uncapped adversarial 10%", 10, adversarial(0.1, cap=1.0), seeds),
        robustness_row("uncapped adversarial 30%", 10, adversarial(0.3, cap=1.0), seeds),
        robustness_row("uniform random 20%", 10, uniform(0.2), seeds),
        robustness_row("uniform random 30%", 10, uniform(0.3), seeds),
        robustness_row(
            "block: top-4 vs bottom-4 reversed", 10, lambda d, t, s: block_attack(d, t, 4), seeds
        ),
        robustness_row(
            "block: top-6 vs bottom-6 reversed", 10, lambda d, t, s: block_attack(d, t, 6), seeds
        ),
    ]
    return table(
        [
            "corruption",
            "per pair",
            "flipped",
            "BT (ours)",
            "BT (choix I-LSR)",
            "robust",
            "robust - BT (min .. max over seeds)",
        ],
        rows,
    )


# --- 3. Active vs random pair selection -------------------------------------------------------


def ask(
    mu: np.ndarray, var: np.ndarray, pair: tuple[int, int], rng: np.random.Generator
) -> tuple[int, int, float]:
    """A simulated query: 10 answers in each order, as the paper asks; share preferring pair[0]."""
    p = float(p_first_wins(mu, var, pair[0], pair[1]))
    return pair[0], pair[1], rng.binomial(20, p) / 20


def bench_active_learning(seeds: int, n: int = 100, batch: int = 100) -> str:
    checkpoints = [200, 400, 600, 800, 1000, active_learning_budget(n), 2000, 3000]
    results: dict[str, dict[int, list[float]]] = {
        "active": {c: [] for c in checkpoints},
        "random": {c: [] for c in checkpoints},
    }
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        mu, var = thurstonian_utilities(n, rng)
        # The paper starts from a random 2-regular graph: here a random Hamiltonian cycle.
        cycle = rng.permutation(n).tolist()
        start: set[tuple[int, int]] = set()
        for k in range(n):
            a, b = cycle[k], cycle[(k + 1) % n]
            start.add((min(a, b), max(a, b)))

        for strategy in ("active", "random"):
            asked = set(start)
            data = [ask(mu, var, pair, rng) for pair in sorted(asked)]
            fit = thurstonian_fit(n, data)
            step = 0
            for checkpoint in checkpoints:
                while len(asked) < checkpoint:
                    step += 1
                    k = min(batch, checkpoint - len(asked))
                    use_fit = fit if strategy == "active" else None
                    new = select_next_pairs(use_fit, n, asked, k, seed=seed * 1000 + step)
                    asked.update(new)
                    data += [ask(mu, var, pair, rng) for pair in new]
                    fit = thurstonian_fit(n, data)
                results[strategy][checkpoint].append(kendall_tau(fit.means, mu))
    rows = []
    for checkpoint in checkpoints:
        random_tau = float(np.mean(results["random"][checkpoint]))
        active_tau = float(np.mean(results["active"][checkpoint]))
        share = checkpoint / (n * (n - 1) / 2)
        rows.append(
            [
                checkpoint,
                f"{share:.0%}",
                f"{random_tau:.3f}",
                f"{active_tau:.3f}",
                f"{active_tau - random_tau:+.3f}",
            ]
        )
    return table(
        ["pairs asked", "of all pairs", "Kendall tau, random", "Kendall tau, active", "difference"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per cell (default 5)")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"Machine: {machine()}\n")
    print("## Thurstonian fit (500 options)\n")
    print(bench_thurstonian_speed())
    print(f"\nload average after timing: {', '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print(f"## Robust BTL: Kendall tau vs truth, 20 items, mean of {args.seeds} seeds\n")
    print(bench_robustness(args.seeds))
    print(f"\n## Active vs random pair selection, 100 options, mean of {args.seeds} seeds\n")
    print(bench_active_learning(args.seeds))
    print(f"\nWall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
