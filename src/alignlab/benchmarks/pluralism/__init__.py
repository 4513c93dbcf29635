"""Pluralistic alignment (Sorensen et al., ICML 2024): distributional, steerable, Overton, jury."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.pluralism.tasks import (
    pluralism_distributional,
    pluralism_jury,
    pluralism_overton,
    pluralism_steerable,
)

BENCHMARK = Benchmark(
    name="pluralism",
    title="Pluralistic alignment",
    tasks={
        "pluralism_distributional": pluralism_distributional,
        "pluralism_steerable": pluralism_steerable,
        "pluralism_overton": pluralism_overton,
        "pluralism_jury": pluralism_jury,
    },
    suites={
        "pluralism": SuitePart(
            "Pluralistic alignment and the Moral Turing Test on the bundled data: answer "
            "distributions vs four groups (51 questions, both option orders), steering toward "
            "each group (20 questions), Overton coverage (8 questions), a 4-persona jury (10 "
            "items)",
            (
                TaskSpec("pluralism_distributional", {"variant": "paper"}),
                TaskSpec("pluralism_distributional", {"variant": "reverse"}),
                TaskSpec("pluralism_steerable", {"limit": 20}),
                TaskSpec("pluralism_overton", {"limit": 8, "max_tokens": 160}),
                TaskSpec("pluralism_jury", {"limit": 10}),
            ),
        )
    },
    analysis="alignlab.benchmarks.pluralism.analysis",
    order=50,
    headline=(None, "closest_group_distance"),
)
