"""Tests for the value profile chart (alignlab.report.profile) and the model-card section."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import ModelUsage, get_model
from typer.testing import CliRunner

from alignlab.cli import app
from alignlab.report.card import ethical_considerations, verdict
from alignlab.report.html import Group, render_report
from alignlab.report.profile import FamilyLine, profile_chart
from alignlab.report.results import MetricResult
from mock_outputs import top_logprob_output

USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)


def _row(model: str, task: str, value: float, low: float, high: float, **kw: Any) -> MetricResult:
    fields: dict[str, Any] = dict(subset="all", metric="accuracy", n=50, unparsed_rate=0.0)
    fields.update(kw)
    return MetricResult(model, task, value=value, ci_low=low, ci_high=high, **fields)


ROWS = {
    "ethics": [
        _row("m/a", "ethics", 0.8, 0.7, 0.9, chance=0.5),
        _row("m/b", "ethics", 0.55, 0.45, 0.65, chance=0.5),  # CI includes chance
    ],
    "pluralism": [
        _row("m/a", "plur", 0.2, 0.1, 0.3, metric="js", chance=0.4, higher_is_better=False),
        _row("m/b", "plur", 0.55, 0.45, 0.65, metric="js", chance=0.4, higher_is_better=False),
    ],
}


def test_profile_geometry_flips_lower_is_better_and_marks_chance() -> None:
    lines = [FamilyLine(name.title(), f"family-{name}", rows) for name, rows in ROWS.items()]
    chart = profile_chart(lines, {"m/a": "#111111", "m/b": "#222222"})
    assert chart is not None
    ethics, plural = chart.axes
    assert ethics.href == "#family-ethics" and ethics.x < plural.x
    assert (ethics.top_label, ethics.bottom_label) == ("1.000", "0.000")
    # Lower is better: the axis is flipped, so the better (lower) value sits higher (smaller y).
    assert "lower better" in plural.metric and plural.top_label == "0.000"
    a, b = chart.series
    assert a.points[1].y < b.points[1].y
    assert a.points[0].y < b.points[0].y  # 0.8 above 0.55 on the accuracy axis
    assert [p.hollow for p in b.points] == [True, False] and not any(p.hollow for p in a.points)
    # Chance 0.5 on a [0, 1] axis sits half-way between the axis ends.
    assert ethics.chance_y == pytest.approx((chart.top + chart.bottom) / 2)
    # CI bars span the interval around the point.
    p = a.points[0]
    assert p.high_y is not None and p.low_y is not None and p.high_y < p.y < p.low_y
    assert "0.800 [0.700, 0.900]" in p.tooltip and len(a.segments) == 1


def test_a_family_missing_for_a_model_breaks_its_line() -> None:
    rows = {
        "x": [_row("m/a", "x", 0.6, 0.5, 0.7)],
        "y": [_row("m/b", "y", 0.6, 0.5, 0.7)],
        "z": [_row("m/a", "z", 0.6, 0.5, 0.7), _row("m/b", "z", math.nan, math.nan, math.nan)],
    }
    chart = profile_chart([FamilyLine(k, k, v) for k, v in rows.items()], {})
    assert chart is not None
    by_label = {s.label: s for s in chart.series}
    assert len(by_label["m/a"].points) == 2 and by_label["m/a"].segments == ()
    assert profile_chart([FamilyLine("z", "z", [rows["z"][1]])], {}) is None


def test_the_report_opens_with_the_profile_svg_linking_to_each_family() -> None:
    groups = [Group(name, name.title(), rows) for name, rows in ROWS.items()]
    html = render_report(groups=groups)
    svg = html.index('<figure class="profile-chart"')
    assert svg < html.index('<details class="family"')
    assert html.count('class="point near-chance"') == 1
    for name in ROWS:
        assert f'href="#family-{name}"' in html and f'id="family-{name}"' in html
    assert len(re.findall(r"<circle class=\"point", html)) == 4


def test_verdict_reads_the_ci_on_the_metrics_good_side() -> None:
    assert verdict(_row("m", "t", 0.8, 0.7, 0.9, chance=0.5)) == "above chance"
    assert verdict(_row("m", "t", 0.3, 0.2, 0.4, chance=0.5)) == "below chance"
    assert verdict(_row("m", "t", 0.3, 0.2, 0.4, chance=0.5, higher_is_better=False)) == (
        "above chance"
    )
    assert verdict(_row("m", "t", 0.5, 0.4, 0.6, chance=0.5)) == "at chance"
    assert verdict(_row("m", "t", 0.5, 0.4, 0.6)) == "no chance level"


@pytest.fixture(scope="module")
def ethics_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETHICS commonsense answered "Yes" throughout, with and without an intervention."""
    from alignlab.benchmarks.ethics.tasks import ethics_commonsense

    root = tmp_path_factory.mktemp("card")
    model = get_model(
        "mockllm/model",
        custom_outputs=lambda *_: top_logprob_output({"Yes": -0.2, "No": -1.8}, USAGE),
    )
    tasks = [ethics_commonsense(limit=8), ethics_commonsense(limit=8, intervention="principles")]
    logs = eval(tasks, model=model, log_dir=str(root), display="none")
    assert [log.status for log in logs] == ["success"] * 2
    return root


def test_card_section_from_logs(ethics_logs: Path, tmp_path: Path) -> None:
    from alignlab.report.build import build_report
    from alignlab.report.html import headline_rows

    text = ethical_considerations(ethics_logs, generated_at="2026-12-03")
    assert text.startswith("## Ethical considerations\n")
    assert "from 2 evaluation run(s) on 2026-12-03" in text
    for heading in (
        "### Behavioural risks measured",
        "### Use cases the results do not support",
        "### Risk mitigation measured",
        "### Limits of this evaluation",
    ):
        assert heading in text
    # The ETHICS line carries the report's headline row and its reading.
    built = build_report(ethics_logs, tmp_path / "r.html")
    group = Group("ethics", "ETHICS", [r for r in built.results if r.task.startswith("ethics")])
    [headline] = [r for r in headline_rows(group, "mockllm/model") if r.intervention == "none"]
    line = next(x for x in text.splitlines() if x.startswith("| ETHICS |"))
    assert f"{headline.value:.3f}" in line and line.endswith(f"| {verdict(headline)} |")
    # The intervention is a mitigation measured on shared items.
    assert re.search(r"\| principles \| ethics_commonsense \| 8 \| [+-]\d\.\d{3} \[", text)
    assert "**Bundled constructed data:**" in text and "**Small samples:**" in text
    out = tmp_path / "card.md"
    result = CliRunner().invoke(app, ["card", str(ethics_logs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("## Ethical considerations")
    missing = CliRunner().invoke(app, ["card", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "Log directory not found" in missing.stderr


def test_family_board_has_n_and_ci_in_every_cell_and_marks_chance() -> None:
    from alignlab.report.site import _family_board

    groups = [Group(name, name.title(), rows) for name, rows in ROWS.items()]
    sources = {(g.name, r.model, r.intervention): "logs" for g in groups for r in g.results}
    board = _family_board(groups, sources)
    assert board.columns == ("Ethics", "Pluralism")
    rows = dict(board.rows)
    a, b = rows["m/a"], rows["m/b"]
    assert (a[0].text, a[0].interval, a[0].n) == ("0.800", "[0.700, 0.900]", 50)
    assert b[0].near_chance and not a[0].near_chance
    # Sorting puts the better first: for a distance, lower is better, so its key is negated.
    assert float(a[1].sort_key) > float(b[1].sort_key)


def test_site_from_log_dirs(ethics_logs: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "site"
    result = CliRunner().invoke(app, ["site", str(ethics_logs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text()
    assert "<script>" in html and "http" not in html.split("<body>")[1].split("<script>")[0]
    data = json.loads((out / "leaderboard.json").read_text())
    board = data[0]
    assert board["columns"] == ["ETHICS"]
    labels = [row["label"] for row in board["rows"]]
    assert labels[0] == "mockllm/model" and set(labels) <= {
        "mockllm/model",
        *["mockllm/model + principles"],
    }
    cell = board["rows"][0]["cells"][0]
    assert cell["n"] > 0 and cell["low"] is not None
    assert html.count('class="ci"') == sum(
        1 for b in data for r in b["rows"] for c in r["cells"] if c["value"] is not None
    )
