"""Tests for the self-contained HTML report."""

from __future__ import annotations

import base64
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from alignlab.report.html import render_report, write_report
from alignlab.report.results import MetricResult

SCRIPT = "<script>alert('x')</script>"
BADGE = 'class="chance-badge"'


def _results() -> list[MetricResult]:
    return [
        # CI [0.47, 0.57] includes chance 0.5.
        MetricResult(
            "tiny-135m",
            "ethics",
            "commonsense",
            "accuracy",
            0.52,
            0.47,
            0.57,
            200,
            0.12,
            chance=0.5,
            majority=0.55,
            log_file="logs/tiny.eval",
        ),
        # Same key under a calibration: CI [0.51, 0.61] excludes chance.
        MetricResult(
            "tiny-135m",
            "ethics",
            "commonsense",
            "accuracy",
            0.56,
            0.51,
            0.61,
            200,
            0.12,
            chance=0.5,
            majority=0.55,
            calibration="contextual",
        ),
        MetricResult(
            "big-7b",
            "ethics",
            "commonsense",
            "accuracy",
            0.80,
            0.75,
            0.85,
            200,
            0.0,
            chance=0.5,
            majority=0.55,
        ),
        # Same key under a second prompt wording: spread 0.80 - 0.65 = 0.150.
        MetricResult(
            "big-7b",
            "ethics",
            "commonsense",
            "accuracy",
            0.65,
            0.60,
            0.70,
            200,
            0.0,
            chance=0.5,
            majority=0.55,
            variant="terse",
        ),
        # Grouped exact match: chance 0.5**4 = 0.0625 lies in [0.0, 0.07].
        MetricResult(
            "tiny-135m",
            "ethics",
            "justice",
            "exact_match",
            0.03,
            0.0,
            0.07,
            50,
            0.0,
            chance=0.0625,
            majority=0.1,
        ),
        MetricResult(
            "big-7b",
            "ethics",
            "justice",
            "exact_match",
            0.30,
            0.25,
            0.35,
            50,
            0.0,
            chance=0.0625,
            majority=0.1,
        ),
        # No chance baseline: never flagged, shown as a dash.
        MetricResult("big-7b", "ethics", "justice", "accuracy", 0.50, 0.45, 0.55, 200, 0.0),
        # A value that could not be computed, in a subset named like markup.
        MetricResult(
            "tiny-135m", "moral", SCRIPT, "auc", math.nan, math.nan, math.nan, 40, 0.0, chance=0.5
        ),
    ]


NEAR_CHANCE = {
    ("tiny-135m", "commonsense", "accuracy", "default", "none"),
    ("tiny-135m", "justice", "exact_match", "default", "none"),
}


class _Tables(HTMLParser):
    """Collects the text of every cell, per table (by class) and row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, list[str]]]] = {}
        self._table = ""
        self._cells: list[str] | None = None
        self._row_class = ""
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table":
            self._table = classes
            self.tables.setdefault(classes, [])
        elif tag == "tr" and self._table:
            self._cells, self._row_class = [], classes
        elif tag == "td" and self._cells is not None:
            self._cells.append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False
        elif tag == "tr" and self._cells is not None:
            if self._cells:
                self.tables[self._table].append((self._row_class, self._cells))
            self._cells = None
        elif tag == "table":
            self._table = ""

    def handle_data(self, data: str) -> None:
        if self._in_cell and self._cells is not None:
            self._cells[-1] += data


def _tables(html: str) -> dict[str, list[tuple[str, list[str]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture(scope="module")
def html() -> str:
    return render_report(
        _results(),
        title="values <b>report</b>",
        notes=["The 135M model is near chance & demonstrates the pipeline."],
        generated_at="2025-01-02 03:04 UTC",
    )


def test_report_is_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|iframe)\b", html, re.IGNORECASE)
    sources = re.findall(r'<img src="([^"]*)"', html)
    # The profile; ethics: accuracy, exact_match and one spread chart; moral's auc is n/a,
    # so it gets no (empty) chart.
    assert len(sources) == 4
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_header_shows_title_time_models_and_notes(html: str) -> None:
    assert "<h1>values &lt;b&gt;report&lt;/b&gt;</h1>" in html
    assert "2025-01-02 03:04 UTC" in html
    models = re.findall(r'<li class="model">([^<]*)</li>', html)
    assert models == ["tiny-135m", "big-7b"]
    assert "near chance &amp; demonstrates the pipeline" in html


def test_every_model_and_subset_appears_in_the_summary(html: str) -> None:
    rows = _tables(html)["summary"]
    assert len(rows) == len(_results())
    assert {cells[0] for _, cells in rows} == {"tiny-135m", "big-7b"}
    assert {cells[1] for _, cells in rows} == {"commonsense", "justice", SCRIPT}


def test_chance_badge_marks_exactly_the_rows_whose_ci_includes_chance(html: str) -> None:
    assert html.count(BADGE) == len(NEAR_CHANCE) == 2
    flagged = set()
    for row_class, cells in _tables(html)["summary"]:
        has_badge = "≈ chance" in cells[5]
        assert has_badge == ("near-chance" in row_class.split())
        if has_badge:
            flagged.add(tuple(cells[:5]))
    assert flagged == NEAR_CHANCE


def test_data_strings_are_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_variant_spread_table_shows_min_max_and_spread(html: str) -> None:
    rows = {(cells[0], cells[1], cells[2]): cells for _, cells in _tables(html)["variant-spread"]}
    # The NaN auc has one variant only, so it has no spread row.
    assert set(rows) == {
        ("tiny-135m", "commonsense", "accuracy"),
        ("big-7b", "commonsense", "accuracy"),
    }
    big = rows[("big-7b", "commonsense", "accuracy")]
    assert big[4] == "0.650 (terse)"
    assert big[5] == "0.800 (default)"
    assert big[6] == "0.150"  # 0.80 - 0.65
    tiny = rows[("tiny-135m", "commonsense", "accuracy")]
    assert tiny[4] == "0.520 (default)"
    assert tiny[5] == "0.560 (default · contextual)"
    assert tiny[6] == "0.040"  # 0.56 - 0.52


def test_numbers_nan_and_missing_baselines_are_formatted(html: str) -> None:
    rows = {tuple(cells[:5]): cells for _, cells in _tables(html)["summary"]}
    nan_row = rows[("tiny-135m", SCRIPT, "auc", "default", "none")]
    assert nan_row[5] == "n/a"  # value
    assert nan_row[6] == "n/a"  # CI
    tiny = rows[("tiny-135m", "commonsense", "accuracy", "default", "none")]
    assert tiny[5] == "0.520≈ chance"
    assert tiny[6] == "[0.470, 0.570]"
    assert tiny[8] == "12.0%"
    assert (tiny[9], tiny[10]) == ("0.500", "0.550")
    exact = rows[("tiny-135m", "justice", "exact_match", "default", "none")]
    assert exact[9] == "0.062"  # 0.0625 to three decimals (round half to even)
    no_chance = rows[("big-7b", "justice", "accuracy", "default", "none")]
    assert (no_chance[9], no_chance[10]) == ("–", "–")


def test_write_report_creates_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "report.html"
    written = write_report(_results()[:2], str(target), title="ünïcode")
    assert written == target
    text = target.read_text(encoding="utf-8")
    assert "<h1>ünïcode</h1>" in text
    # One model, one subset: no profile chart and no bar chart of one bar; the spread chart.
    assert text.count("data:image/png;base64,") == 1


def test_empty_results_render_a_page_saying_so() -> None:
    html = render_report([])
    assert "No results to report." in html
    assert "data:image/png" not in html


def test_package_re_exports_the_renderer() -> None:
    import alignlab.report

    assert alignlab.report.render_report is render_report
    assert alignlab.report.write_report is write_report


def test_good_side_of_chance_follows_the_metric_direction() -> None:
    from alignlab.report.html import _row

    def row(value: float, low: float, high: float, higher: bool) -> MetricResult:
        metric = "accuracy" if higher else "js_distance"
        return MetricResult(
            "m", "t", "s", metric, value, low, high, 20, 0.0, chance=0.3, higher_is_better=higher
        )

    assert _row(row(0.6, 0.5, 0.7, True)).value_class == "above"
    assert _row(row(0.1, 0.05, 0.2, True)).value_class == "below"
    # A distance below the uniform answerer's is the good side, and is labelled as such.
    closer = _row(row(0.1, 0.05, 0.2, False))
    assert closer.value_class == "above" and closer.metric == "js_distance (lower is better)"
    assert _row(row(0.6, 0.5, 0.7, False)).value_class == "below"
    assert _row(row(0.3, 0.2, 0.4, False)).value_class == ""


# --- the one table partial, sections, the profile ------------------------------------------------


def test_cell_filter_formats_through_the_one_formatter() -> None:
    from alignlab.report.html import cell
    from alignlab.report.sections import Styled

    assert cell("0.5 as text") == "0.5 as text"
    assert cell(0.12345) == "0.123" and cell(1234.5) == "1.23e+03"
    assert cell(200) == "200" and cell(None) == "–" and cell(math.nan) == "n/a"
    assert cell(Styled(0.5, css="x")) == "0.500"
    assert str(cell(("a <b>", "c"))) == "a &lt;b&gt;<br>c"


def test_sections_render_through_the_partials_escaped() -> None:
    from alignlab.report.html import ExtraSection
    from alignlab.report.sections import Figure, Heading, Section, Styled, Table, Text

    png = "data:image/png;base64,iVBORw0KGgo="
    section = Section(
        f"Toy {SCRIPT}",
        (
            Heading("Rankings"),
            Text("plain words"),
            Text("look out", kind="warning"),
            Table.of(
                ("option", "utility", "lines"),
                [(SCRIPT, 0.25, ("one", "two")), ("b", Styled(2.0, css="wrap", title="t"), None)],
                numeric=(1,),
                caption="a caption",
                css="toy",
            ),
            Figure(png, "a chart"),
        ),
        warnings=("section warning",),
    )
    legacy = ExtraSection("Old style", "<p class='legacy'>ready</p>")
    page = render_report(_results()[:1], extra_sections=[section, legacy])
    assert SCRIPT not in page and "<h2>Toy &lt;script&gt;" in page
    assert "<h3>Rankings</h3>" in page and '<p class="warning">look out</p>' in page
    assert "section warning" in page and "<caption>a caption</caption>" in page
    assert _tables(page)["toy"] == [
        ("", [SCRIPT, "0.250", "onetwo"]),  # the text unescaped by the parser
        ("", ["b", "2.000", "–"]),
    ]
    assert '<td class="num wrap" title="t">2.000</td>' in page
    assert f'<img src="{png}" alt="a chart">' in page
    # The deprecated ExtraSection still renders its ready HTML.
    assert "<p class='legacy'>ready</p>" in page and "<h2>Old style</h2>" in page


def test_a_section_naming_a_family_goes_into_that_family_part() -> None:
    from alignlab.report.html import Group
    from alignlab.report.sections import Section, Text

    group = Group("ethics", "ETHICS", _results()[:2])
    section = Section("Average", (Text("inside"),), family="ethics")
    page = render_report(groups=[group], extra_sections=[section])
    part = page[page.index('<details class="family" id="family-ethics"') :]
    assert "inside" in part[: part.index("</details>")]


def test_headline_rows_follow_the_family_headline() -> None:
    import dataclasses

    from alignlab.report.html import Group, headline_rows

    rows = _results()
    principled = dataclasses.replace(rows[4], intervention="principles", value=0.2)
    group = Group("ethics", "ETHICS", [*rows, principled], headline=("justice", "exact_match"))
    tiny = headline_rows(group, "tiny-135m")
    assert [(r.subset, r.metric, r.intervention) for r in tiny] == [
        ("justice", "exact_match", "none"),
        ("justice", "exact_match", "principles"),
    ]
    # No headline: the model's first uncalibrated row of the default variant.
    plain = headline_rows(Group("ethics", "ETHICS", rows), "big-7b")
    assert [(r.subset, r.variant, r.calibration) for r in plain] == [
        ("commonsense", "default", "none")
    ]
    # A headline subset also matches "<subset> <split>" rows; a missing one falls back.
    split = dataclasses.replace(rows[5], subset="justice test_hard")
    found = headline_rows(Group("e", "E", [split], headline=("justice", "exact_match")), "big-7b")
    assert [r.subset for r in found] == ["justice test_hard"]
    other = headline_rows(Group("e", "E", rows[2:4], headline=(None, "missing")), "big-7b")
    assert [r.value for r in other] == [0.80]


def test_intervention_and_data_are_shown_per_row() -> None:
    import dataclasses

    rows = [
        dataclasses.replace(_results()[2], data="ethics_public"),
        dataclasses.replace(_results()[2], intervention="principles", value=0.9),
    ]
    page = render_report(rows)
    summary = _tables(page)["summary"]
    # One model: no model column.
    assert [cells[11:13] for _, cells in summary] == [
        ["none", "ethics_public"],
        ["principles", "bundled"],
    ]
    assert "<th>intervention</th>" in page and 'class="intervened"' in page


def test_warnings_are_shown_with_their_count() -> None:
    page = render_report(_results()[:1], warnings=["a <bad> log", "another"])
    assert "2 warnings</strong>" in page and "a &lt;bad&gt; log" in page
