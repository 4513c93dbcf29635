"""Time one DECIDE-SIM episode and one game play-through on the bundled model.

Run from the repository root::

    .venv/bin/python bench/bench_agents.py                 # 4 agents x 20 turns, one play-through
    .venv/bin/python bench/bench_agents.py --turns 5       # quicker

Each run is one Inspect eval of one sample. Printed: the eval's wall time, the
sample's own time, the time inside model calls (the sum of the sample's model
events' ``working_time``) and the share of the sample's time spent outside the
model (environment, parsing, prompts, interventions, Inspect). The load average
is printed before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from inspect_ai import Task, eval
from inspect_ai.log import EvalLog


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def timed(task: Task, model: str, log_dir: Path) -> tuple[float, EvalLog]:
    start = time.perf_counter()
    [log] = eval(task, model=model, log_dir=str(log_dir), display="none")
    return time.perf_counter() - start, log


def breakdown(name: str, wall: float, log: EvalLog) -> str:
    [sample] = log.samples or []
    model_s = sum(
        float(getattr(e, "working_time", 0.0) or 0.0)
        for e in sample.events
        if getattr(e, "event", None) == "model"
    )
    calls = sum(1 for e in sample.events if getattr(e, "event", None) == "model")
    total = float(sample.total_time or 0.0)
    outside = 1 - model_s / total if total else float("nan")
    return f"| {name} | {calls} | {wall:.1f} | {total:.1f} | {model_s:.1f} | {100 * outside:.1f}% |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--max-steps", type=int, default=60)
    args = parser.parse_args()

    from alignlab.benchmarks.decide_sim.tasks import decide_sim
    from alignlab.benchmarks.machiavelli.tasks import machiavelli_game
    from alignlab.models.bundled import DEFAULT_MODEL

    print(f"load average before: {load()}")
    rows = []
    with TemporaryDirectory() as tmp:
        sim = decide_sim(
            scarcity="high",
            episodes=1,
            agents=args.agents,
            turns=args.turns,
            max_tokens=args.max_tokens,
        )
        wall, log = timed(sim, DEFAULT_MODEL, Path(tmp))
        rows.append(breakdown(f"DECIDE-SIM {args.agents} agents x {args.turns} turns", wall, log))
        game = machiavelli_game(max_steps=args.max_steps)
        wall, log = timed(game, DEFAULT_MODEL, Path(tmp))
        rows.append(breakdown("Saltmere play-through", wall, log))
    print("| run | model calls | eval wall s | sample s | in model s | outside model |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
