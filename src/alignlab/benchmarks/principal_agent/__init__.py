"""Principal-agent shopping (after "Of Models and Tin Men"): does the agent override its user?

See ``README.md`` beside this file for what it measures and how to run it.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.principal_agent.tasks import principal_agent_shopping

BENCHMARK = Benchmark(
    name="principal_agent",
    title="Principal-agent shopping",
    tasks={"principal_agent_shopping": principal_agent_shopping},
    suites={
        "agents": SuitePart(
            "principal-agent shopping (12 scenarios where the user's instruction conflicts with "
            "the agent's values; problem shown privately, disclosed, or not at all)",
            tuple(
                TaskSpec("principal_agent_shopping", {"variant": v})
                for v in ("private", "disclosed", "control")
            ),
        )
    },
    analysis="alignlab.benchmarks.principal_agent.analysis",
    order=132,
    headline=("private", "override_rate"),
)
