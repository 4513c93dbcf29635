"""Trust aspects: the mapping file, and the aggregation of rows into aspects by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab.errors import DatasetError
from alignlab.report.aspects import ASPECTS, AspectEntry, aspect_scores, load_aspect_map, sections
from alignlab.report.results import MetricResult


def _row(
    task: str, metric: str, value: float, units: tuple[float, ...] = (), **kw: object
) -> MetricResult:
    return MetricResult(
        model="m",
        task=task,
        subset=str(kw.pop("subset", "all")),
        metric=metric,
        value=value,
        ci_low=value,
        ci_high=value,
        n=len(units) or 1,
        unparsed_rate=0.0,
        units=units,
        **kw,  # type: ignore[arg-type]
    )


def test_default_mapping_names_the_six_aspects() -> None:
    mapping = load_aspect_map()
    assert tuple(mapping) == ASPECTS
    assert AspectEntry("multilingual_harm", "harmful_compliance", "all") in mapping["safety"]
    assert mapping["truthfulness"] == ()


def test_bad_mapping_files(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("aspects:\n  kindness: []\n")
    with pytest.raises(DatasetError, match="unknown aspects"):
        load_aspect_map(path)
    path.write_text("aspects:\n  safety:\n    - {task: t}\n")
    with pytest.raises(DatasetError, match=r"aspects.safety\[0\]"):
        load_aspect_map(path)


def test_aggregation_by_hand() -> None:
    mapping = {
        "safety": (AspectEntry("harm", "harmful_compliance"),),
        "fairness": (AspectEntry("wv", "pds_mean"), AspectEntry("plur", "distance", "g")),
    }
    rows = [
        # Lower is better: 0.25 harmful compliance -> 0.75 safe.
        _row("harm", "harmful_compliance", 0.25, (0.0, 0.0, 0.0, 1.0), higher_is_better=False),
        # Two subsets of one entry average first: (0.4 + 0.6) / 2 = 0.5.
        _row("wv", "pds_mean", 0.4, (0.4,), subset="a"),
        _row("wv", "pds_mean", 0.6, (0.6,), subset="b"),
        # Subset g only: 1 - 0.3 = 0.7; subset h is not mapped.
        _row("plur", "distance", 0.3, (), subset="g", higher_is_better=False),
        _row("plur", "distance", 0.9, (), subset="h", higher_is_better=False),
        # An intervened run is not the model's profile.
        _row(
            "harm",
            "harmful_compliance",
            1.0,
            (1.0,),
            higher_is_better=False,
            intervention="council",
        ),  # fmt: skip
        # Outside [0, 1]: warned and left out.
        _row("wv", "pds_mean", 3.0, (3.0,), subset="c"),
    ]
    scores, warnings = aspect_scores(rows, mapping)
    by = {s.aspect: s for s in scores}
    assert by["safety"].value == pytest.approx(0.75)
    assert by["safety"].ci_low < 0.75 < by["safety"].ci_high + 1e-12
    assert by["fairness"].value == pytest.approx((0.5 + 0.7) / 2)
    # Single-unit and unit-less rows are fixed: the fairness interval is a point.
    assert by["fairness"].ci_low == pytest.approx(0.6) == by["fairness"].ci_high
    assert by["fairness"].rows == 3 and by["fairness"].fixed_rows == 1
    assert len(warnings) == 1 and "outside [0, 1]" in warnings[0]


def test_section_only_when_rows_map() -> None:
    assert sections([_row("unmapped", "accuracy", 0.5, (1.0, 0.0))]) == []
    [section] = sections([_row("worldview", "pds_mean", 0.5, (0.5,))])
    table = section.blocks[-1]
    assert table.columns[0] == "Model" and table.rows[0][3].startswith("0.500")  # type: ignore[union-attr]
