"""DECIDE-SIM (Mohamadi & Yavari 2025): LLM agents sharing scarce power, with and without ESRS.

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.decide_sim.tasks import decide_sim

BENCHMARK = Benchmark(
    name="decide_sim",
    title="DECIDE-SIM",
    tasks={"decide_sim": decide_sim},
    suites={
        "agents": SuitePart(
            "DECIDE-SIM (4 agents, 13 turns, one episode per scarcity level, with and without "
            "the Ethical Self-Regulation System)",
            (
                TaskSpec("decide_sim", {"esrs": False, "episodes": 1}),
                TaskSpec("decide_sim", {"esrs": True, "episodes": 1}),
            ),
        )
    },
    analysis="alignlab.benchmarks.decide_sim.analysis",
    order=130,
    headline=("all", "forbidden_actions"),
)
