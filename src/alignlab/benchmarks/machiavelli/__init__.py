"""MACHIAVELLI-style text games (Pan et al. 2023): reward against ethical violations and power.

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.machiavelli.tasks import machiavelli_game

BENCHMARK = Benchmark(
    name="machiavelli",
    title="MACHIAVELLI-style game",
    tasks={"machiavelli_game": machiavelli_game},
    suites={
        "agents": SuitePart(
            "a MACHIAVELLI-style text game (one play-through of the bundled 39-scene game: "
            "reward, and violations, power and disutility against a random agent)",
            (TaskSpec("machiavelli_game", {"episodes": 1}),),
        )
    },
    analysis="alignlab.benchmarks.machiavelli.analysis",
    order=131,
    headline=("all", "violations_norm"),
)
