"""The report page leads with the profile, names its details and defines every metric it shows.

Issue 17: the first screen answers "what are this model's values, and can I trust
that?"; no model column when the page is about one model; the details column named,
not raw key=value; no empty or one-bar charts, no all-zero spread sections; every
metric and detail name on the page defined on the page.
"""

from __future__ import annotations

import re
from typing import Any

from alignlab.report import glossary
from alignlab.report.html import Group, render_report
from alignlab.report.results import MetricResult


def _r(model: str, metric: str, value: float, **kw: Any) -> MetricResult:
    fields: dict[str, Any] = dict(
        task="scruples_anecdotes", subset="anecdotes", n=40, unparsed_rate=0.0, chance=0.5
    )
    fields.update(kw)
    return MetricResult(model, metric=metric, value=value, ci_low=value - 0.1,
                        ci_high=value + 0.1, **fields)  # fmt: skip


def _summary_header(html: str) -> list[str]:
    table = re.search(r'<table class="summary".*?</thead>', html, re.S)
    assert table is not None
    return re.findall(r"<th[^>]*>([^<]*)</th>", table.group(0))


def test_one_model_has_no_model_column_and_two_models_have_one() -> None:
    one = render_report([_r("m1", "accuracy", 0.6)])
    assert "model" not in _summary_header(one) and _summary_header(one)[0] == "subset"
    two = render_report([_r("m1", "accuracy", 0.6), _r("m2", "accuracy", 0.7)])
    assert _summary_header(two)[0] == "model"


def test_details_are_named_not_raw_key_value() -> None:
    html = render_report(
        [_r("m1", "holdout_accuracy", 0.7, extra={"half_vs_all_tau": 0.9, "log_likelihood": -3.0})]
    )
    assert "half vs all tau: 0.900" in html and "log likelihood: -3.000" in html
    assert "half_vs_all_tau=" not in html


def _images(html: str) -> int:
    return len(re.findall(r'<img src="data:image/png', html))


def test_no_one_bar_or_empty_charts() -> None:
    # One model, one subset: the number is in the table; a chart of one bar adds nothing.
    assert _images(render_report([_r("m1", "accuracy", 0.6)])) == 0
    assert _images(render_report([_r("m1", "accuracy", float("nan"))])) == 0
    assert "<h4>Charts</h4>" not in render_report([_r("m1", "accuracy", 0.6)])
    two_subsets = [_r("m1", "accuracy", 0.6), _r("m1", "accuracy", 0.7, subset="dilemmas")]
    assert _images(render_report(two_subsets)) == 1


def test_no_all_zero_spread_section() -> None:
    same = [_r("m1", "accuracy", 0.6, variant=v) for v in ("paper", "reverse")]
    assert "Prompt-variant spread" not in render_report(same)
    moved = [
        _r("m1", "accuracy", 0.6, variant="paper"),
        _r("m1", "accuracy", 0.7, variant="reverse"),
    ]
    assert "Prompt-variant spread" in render_report(moved)


def test_every_metric_and_detail_on_the_page_is_defined() -> None:
    rows = [
        _r("m1", "dm_log_likelihood", -1.2, extra={"best": -1.0}),
        _r("m1", "ece", 0.1, higher_is_better=False),
        _r("m1", "utilitarian_welfare", 3.2, task="pluralism_jury", subset="jury"),
        _r("m1", "closest_group_distance", 0.3, task="pluralism_distributional"),
    ]
    html = render_report(rows)
    glossary_html = html[html.index('id="metrics-defined"') :]
    for name in ("dm_log_likelihood", "ece", "welfare", "closest_group_distance", "best"):
        assert f"<dt>{name}</dt>" in glossary_html, name
    assert "welfare scale" in glossary_html
    assert "not defined" not in glossary_html


def test_glossary_knows_the_names_of_the_judgment_pluralism_and_values_rows() -> None:
    names = [
        "accuracy", "exact_match", "auc", "balanced_accuracy", "mcc", "micro_f1", "macro_f1",
        "cross_entropy (lower is better)", "dm_log_likelihood", "ece", "js_distance",
        "closest_group_distance", "steering_shift", "coverage", "nash_welfare",
        "egalitarian_pick_agreement", "rules_agree", "agreement", "detect_accuracy",
        "detect_auc", "classifier_auc", "length_diff", "hedge_rate_diff",
        "first_person_rate_diff", "holdout_accuracy", "cycle_rate", "order_consistency",
        "na_rate", "holdout_log_loss", "same_letter", "letter_a_rate", "battles",
    ]  # fmt: skip
    assert [n for n in names if glossary.define(n) is None] == []
    assert glossary.define("no_such_metric") is None


def test_first_screen_is_the_profile_and_the_degenerate_runs() -> None:
    rows = [_r("m1", "accuracy", 0.6)]
    group = Group(
        "scruples", "Scruples", rows, degenerate=["Degenerate run: scruples_anecdotes on m1: ..."]
    )
    html = render_report(groups=[group], warnings=["a.eval could not be read"] * 5)
    degenerate = html.index('class="warnings degenerate-runs"')
    profile = html.index('id="profile"')
    warnings = html.index("build-warnings")
    family = html.index('class="family"')
    assert degenerate < profile < warnings < family
