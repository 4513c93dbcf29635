"""EALM's QA-ETHICS and MP-ETHICS (Wang et al., SIGIR-AP 2023): binary and per-concept
ethical judgments of one scenario. See README.md."""

from __future__ import annotations

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec
from alignlab.benchmarks.ealm.tasks import ealm_mp_ethics, ealm_qa_ethics

BENCHMARK = Benchmark(
    name="ealm",
    title="EALM (QA-ETHICS, MP-ETHICS)",
    tasks={"ealm_qa_ethics": ealm_qa_ethics, "ealm_mp_ethics": ealm_mp_ethics},
    suites={
        "judgment": SuitePart(
            "EALM's QA-ETHICS and MP-ETHICS (5 concepts per scenario); every item, default prompts",
            (TaskSpec("ealm_qa_ethics", {}), TaskSpec("ealm_mp_ethics", {})),
        )
    },
    analysis="alignlab.benchmarks.ealm.analysis",
    order=40,
    headline=("qa-ethics", "accuracy"),
)
