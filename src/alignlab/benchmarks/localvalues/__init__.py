"""LocalValueBench-style local values: an organisation's own values, probes and rubrics in YAML."""

from alignlab.benchmarks import Benchmark
from alignlab.benchmarks.localvalues.tasks import local_values

BENCHMARK = Benchmark(
    name="localvalues",
    title="Local values",
    tasks={"local_values": local_values},
    analysis="alignlab.benchmarks.localvalues.analysis",
    order=54,
    headline=("all", "deviation"),
)
