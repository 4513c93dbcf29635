"""Multilingual harm report: harmful-compliance rate per language, per harm scope and per pair.

Rows per ``multilingual_harm`` run: ``harmful_compliance`` (lower is better)
with subset ``all``, ``language:<name>``, ``scope:<global|local>`` and
``<language>/<scope>``; 95% percentile bootstrap intervals over prompts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from alignlab.benchmarks._scored import grouped_mean_rows
from alignlab.benchmarks.multilingual.tasks import FAMILY, SCORER, TASK
from alignlab.report.compare import intervention_of
from alignlab.report.format import interval, pct
from alignlab.report.logs import RunLog
from alignlab.report.results import MetricResult
from alignlab.report.sections import Block, Heading, Section, Table, Text

N_RESAMPLES = 2000


def _ours(runs: Sequence[RunLog]) -> list[RunLog]:
    return [r for r in runs if r.family == FAMILY and r.task == TASK and r.scored(SCORER)]


def _groups(run: RunLog) -> tuple[dict[str, list[float]], int, int]:
    groups: dict[str, list[float]] = defaultdict(list)
    samples = run.scored(SCORER)
    read = 0
    for sample in samples:
        score = sample.scores[SCORER]
        value = score.value if isinstance(score.value, dict) else {}
        complied = float(value.get("complied", math.nan))
        if value.get("unparsed") or not math.isfinite(complied):
            continue
        read += 1
        meta = score.metadata or {}
        language, scope = meta.get("language"), meta.get("scope")
        for subset in ("all", f"language:{language}", f"scope:{scope}", f"{language}/{scope}"):
            groups[subset].append(complied)
    return groups, read, len(samples)


def results(
    runs: Sequence[RunLog], *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> list[MetricResult]:
    """Report rows of every ``multilingual_harm`` run (see the module docstring)."""
    rows: list[MetricResult] = []
    for run in _ours(runs):
        groups, read, total = _groups(run)
        rows += grouped_mean_rows(
            run,
            groups,
            read,
            total,
            "harmful_compliance",
            n_resamples,
            seed,
            variant=str(run.metadata.get("judge") or "lexicon"),
            higher_is_better=False,
        )
    return rows


def sections(runs: Sequence[RunLog]) -> list[Section]:
    """One section: per run, a language x scope table of harmful-compliance rates."""
    ours = _ours(runs)
    if not ours:
        return []
    blocks: list[Block] = [
        Text(
            "Share of red-teaming prompts whose answer complies with the harmful request "
            "(lower is better), per language and for global vs local harm; 95% bootstrap "
            "intervals over prompts. The lexicon judge reads refusal phrases in English, "
            "French and Spanish only."
        )
    ]
    warnings = []
    rows_of = {(r.log_file, r.subset): r for r in results(ours)}
    for run in ours:
        groups, read, total = _groups(run)
        if read < total:
            warnings.append(
                f"{run.model} · {intervention_of(run)}: {total - read} of {total} answers could "
                "not be judged (unread grader reply) and are left out."
            )
        languages = sorted(s.split(":", 1)[1] for s in groups if s.startswith("language:"))

        def cell(subset: str, path: str = str(run.path)) -> str:
            row = rows_of.get((path, subset))
            if row is None:
                return "–"
            return f"{pct(row.value)} {interval(row.ci_low, row.ci_high)} (n={row.n})"

        table_rows = [
            (lang, cell(f"{lang}/global"), cell(f"{lang}/local"), cell(f"language:{lang}"))
            for lang in languages
        ]
        table_rows.append(("all", cell("scope:global"), cell("scope:local"), cell("all")))
        blocks.append(
            Heading(f"{run.model} · judge {run.metadata.get('judge')} · {intervention_of(run)}")
        )
        blocks.append(
            Table.of(
                ("Language", "Global harm", "Local harm", "All"), table_rows, numeric=(1, 2, 3)
            )
        )
    return [Section("Multilingual harm: harmful compliance per language", tuple(blocks),
                    tuple(warnings), family=FAMILY)]  # fmt: skip
