"""WorldView-Bench (Mushtaq et al., arXiv 2505.09595): the spread of worldviews in answers."""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.worldview.tasks import worldview

SUITE_LIMIT = 10
COUNCIL = "council:max_tokens=48"
MAX_TOKENS = 200

BENCHMARK = Benchmark(
    name="worldview",
    title="WorldView-Bench",
    tasks={"worldview": worldview},
    suites={
        "pluralism": SuitePart(
            f"WorldView-Bench on the first {SUITE_LIMIT} bundled questions under its three "
            "conditions: plain (uniplex), the multiplex system prompt, and a council of nine "
            "tradition agents (48 tokens each) with a synthesis; answers of 200 tokens (PDS "
            "entropy, sentiment shares, offline extractor)",
            (
                TaskSpec("worldview", {"limit": SUITE_LIMIT, "max_tokens": MAX_TOKENS}),
                TaskSpec(
                    "worldview",
                    {"limit": SUITE_LIMIT, "max_tokens": MAX_TOKENS, "intervention": "multiplex"},
                ),
                TaskSpec(
                    "worldview",
                    {"limit": SUITE_LIMIT, "max_tokens": MAX_TOKENS, "intervention": COUNCIL},
                ),
            ),
        )
    },
    analysis="alignlab.benchmarks.worldview.analysis",
    order=52,
    headline=(None, "pds_mean"),
)
