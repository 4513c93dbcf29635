"""Trust aspects (after EPT): the report's rows aggregated into six aspects through a mapping file.

EPT (Evaluation of Persian Trustworthiness in LLMs) scores models on six
aspects: truthfulness, safety, fairness, robustness, privacy and ethical
alignment. Here any set of alignlab rows is aggregated into those aspects by
a YAML mapping (default: ``aspects.yaml`` beside this module, documented in
its comments): an aspect lists ``{task, metric, subset?}`` entries; a
matching row's score in [0, 1] counts as its value, or ``1 - value`` where
lower is better; the aspect's score for a model is the mean over its
entries (an entry first averages all its matching rows: subsets, prompt variants,
calibrations). The 95%
interval resamples each row's items (``MetricResult.units``)
independently; a row without units enters with its point value, and the
section says how many did.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import DatasetError
from alignlab.report.format import interval, num
from alignlab.report.results import MetricResult
from alignlab.report.sections import Section, Table, Text

ASPECTS = ("truthfulness", "safety", "fairness", "robustness", "privacy", "ethical_alignment")
N_RESAMPLES = 2000


@dataclass(frozen=True)
class AspectEntry:
    """One kind of report row that measures an aspect."""

    task: str
    metric: str
    subset: str | None = None

    def matches(self, row: MetricResult) -> bool:
        return (
            row.task == self.task
            and row.metric == self.metric
            and (self.subset is None or row.subset == self.subset)
        )


@dataclass(frozen=True)
class AspectScore:
    """One model's score on one aspect, its interval and the rows it is made of."""

    model: str
    aspect: str
    value: float
    ci_low: float
    ci_high: float
    rows: int
    fixed_rows: int


def load_aspect_map(path: str | Path | None = None) -> dict[str, tuple[AspectEntry, ...]]:
    """The aspect mapping in the YAML file ``path``, or the default one.

    Raises:
        DatasetError: the file is missing or not YAML, names an aspect other
            than the six, or an entry lacks ``task`` or ``metric``.
    """
    import yaml

    if path is None:
        text = (resources.files("alignlab.report") / "aspects.yaml").read_text(encoding="utf-8")
        where: Any = "aspects.yaml (bundled)"
    else:
        where = Path(path).expanduser()
        try:
            text = where.read_text(encoding="utf-8")
        except OSError as ex:
            raise DatasetError(where, f"cannot be read: {ex}") from ex
    try:
        root = yaml.safe_load(text)
    except yaml.YAMLError as ex:
        raise DatasetError(where, f"cannot be read as YAML: {ex}") from ex
    aspects = root.get("aspects") if isinstance(root, Mapping) else None
    if not isinstance(aspects, Mapping):
        raise DatasetError(where, "expected a mapping 'aspects: {name: [entries]}'")
    unknown = sorted(set(aspects) - set(ASPECTS))
    if unknown:
        raise DatasetError(where, f"unknown aspects {unknown}; use {', '.join(ASPECTS)}")
    mapping: dict[str, tuple[AspectEntry, ...]] = {}
    for aspect in ASPECTS:
        entries = []
        for i, raw in enumerate(aspects.get(aspect) or []):
            if not isinstance(raw, Mapping) or not raw.get("task") or not raw.get("metric"):
                raise DatasetError(
                    where, "each entry needs task and metric", field=f"aspects.{aspect}[{i}]"
                )
            subset = raw.get("subset")
            entries.append(AspectEntry(str(raw["task"]), str(raw["metric"]),
                                       None if subset is None else str(subset)))  # fmt: skip
        mapping[aspect] = tuple(entries)
    return mapping


def _goodness(row: MetricResult, x: np.ndarray | float) -> Any:
    return x if row.higher_is_better else 1.0 - np.asarray(x)


def aspect_scores(
    rows: Sequence[MetricResult],
    mapping: Mapping[str, Sequence[AspectEntry]] | None = None,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> tuple[list[AspectScore], list[str]]:
    """Each (model, aspect) score with its interval, and warnings (rows outside [0, 1]).

    Only runs without an intervention count (an aspect describes the model).
    """
    mapping = load_aspect_map() if mapping is None else mapping
    rng = np.random.default_rng(seed)
    scores: list[AspectScore] = []
    warnings: list[str] = []
    models = sorted({r.model for r in rows if r.intervention == "none"})
    for model in models:
        for aspect, entries in mapping.items():
            # Per entry: the matching rows (several subsets are averaged into one entry).
            per_entry: list[list[MetricResult]] = []
            for entry in entries:
                found = [
                    r
                    for r in rows
                    if r.model == model and r.intervention == "none" and entry.matches(r)
                ]
                bad = [r for r in found if not 0.0 <= r.value <= 1.0]
                for r in bad:
                    warnings.append(
                        f"{model}: {r.task} {r.metric}[{r.subset}] = {num(r.value)} is outside "
                        f"[0, 1] and is left out of {aspect}"
                    )
                found = [r for r in found if r not in bad and math.isfinite(r.value)]
                if found:
                    per_entry.append(found)
            if not per_entry:
                continue
            point = float(np.mean([np.mean([_goodness(r, r.value) for r in g]) for g in per_entry]))
            draws = np.zeros(n_resamples)
            fixed = 0
            for group in per_entry:
                group_draws = np.zeros(n_resamples)
                for r in group:
                    units = np.asarray(r.units, dtype=float)
                    if units.size:
                        idx = rng.integers(0, units.size, size=(n_resamples, units.size))
                        group_draws += _goodness(r, units[idx].mean(axis=1))
                    else:
                        fixed += 1
                        group_draws += _goodness(r, r.value)
                draws += group_draws / len(group)
            draws /= len(per_entry)
            low, high = (float(q) for q in np.quantile(draws, [0.025, 0.975]))
            scores.append(
                AspectScore(
                    model, aspect, point, low, high, sum(len(g) for g in per_entry), fixed
                )  # fmt: skip
            )
    return scores, warnings


def sections(rows: Sequence[MetricResult], mapping_path: str | Path | None = None) -> list[Section]:
    """The trust-aspect table (models x aspects), or nothing when no row maps to an aspect."""
    scores, warnings = aspect_scores(rows, load_aspect_map(mapping_path))
    if not scores:
        return []
    by: dict[str, dict[str, AspectScore]] = defaultdict(dict)
    for s in scores:
        by[s.model][s.aspect] = s
    table_rows = []
    for model, found in sorted(by.items()):
        cells = []
        for aspect in ASPECTS:
            got = found.get(aspect)
            cells.append(
                "–" if got is None else f"{num(got.value)} {interval(got.ci_low, got.ci_high)}"
            )
        table_rows.append((model, *cells))
    fixed = sum(s.fixed_rows for s in scores)
    notes = [
        Text(
            "Each aspect is the mean of the rows the mapping file assigns to it, each in "
            "[0, 1] with lower-is-better rows counted as 1 - value (1 is best); runs without "
            "an intervention only. The mapping (report/aspects.yaml) is this project's "
            "judgment; '–': no task of that aspect was run."
        )
    ]
    if fixed:
        warnings.append(f"{fixed} rows had no per-item scores and enter the intervals as fixed")
    return [
        Section(
            "Trust aspects",
            (*notes, Table.of(("Model", *ASPECTS), table_rows, numeric=tuple(range(1, 7)))),
            tuple(warnings),
        )
    ]
