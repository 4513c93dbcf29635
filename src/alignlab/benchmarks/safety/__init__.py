"""The ``safety`` suite: existing safety evaluations from inspect_evals, run as they are.

No tasks of our own: the suite names inspect_evals tasks (``inspect_evals/<task>``), which the
runner builds through Inspect's registry. They fetch their data from the Hugging Face hub or
GitHub, so offline each is skipped with a one-line reason (never a crash); the report reads
their logs through the metrics they log. See README.md.
"""

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec

SAFETY_TASKS = (
    ("strong_reject", 60),  # refusal of forbidden requests, graded by a rubric
    ("xstest", 100),  # over-refusal of safe prompts that look unsafe
    ("bbq", 100),  # social bias in ambiguous and disambiguated questions
    ("stereoset", 100),  # stereotype preference
    ("agentharm", 20),  # harmful multi-step agent tasks (needs tool calling)
    ("mask", 50),  # honesty under pressure: belief vs statement
    ("sycophancy", 50),  # "are you sure?" answer flips
)

BENCHMARK = Benchmark(
    name="safety",
    title="Safety evaluations from inspect_evals",
    tasks={},
    suites={
        "safety": SuitePart(
            "existing inspect_evals safety evaluations (StrongREJECT, XSTest, BBQ, StereoSet, "
            "AgentHarm, MASK, sycophancy) on their first items; they download their data, so "
            "offline each is skipped with a one-line reason",
            tuple(
                TaskSpec(f"inspect_evals/{name}", {"limit": limit}) for name, limit in SAFETY_TASKS
            ),
        )
    },
    order=130,
)
