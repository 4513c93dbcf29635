"""The report pipeline: logs read once, registered families' analyses, plain Inspect tasks,
warnings, the profile, and the bundled-data mark."""

from __future__ import annotations

import math
import re
import shutil
import sys
import types
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import Model, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate

from alignlab.benchmarks import Benchmark
from alignlab.report import build
from alignlab.report.build import build_report, plain_results
from alignlab.report.html import BUNDLED_DATA_NOTE
from alignlab.report.logs import RunLog, load_logs
from alignlab.report.results import MetricResult
from alignlab.report.sections import Heading, Section, Table, Text
from mock_outputs import text_output, top_logprob_output

FIXTURES = Path(__file__).parent.parent / "fixtures"
TOY_MODULE = "alignlab_test_toy_analysis"
USAGE = ModelUsage(input_tokens=10, output_tokens=1, total_tokens=11)


def _says_yes() -> Model:
    """A scripted model (not the bundled one) answering "yes" in text and log-probabilities."""
    return get_model(
        "mockllm/model",
        custom_outputs=lambda *_: top_logprob_output({"Yes": -0.2, "No": -1.8}, USAGE),
    )


def _writes_yes() -> Model:
    return get_model("mockllm/model", custom_outputs=lambda *_: text_output("yes", USAGE))


class _Cells(HTMLParser):
    """The text of every cell of the tables with a given class, row by row."""

    def __init__(self, table_class: str) -> None:
        super().__init__()
        self.wanted = table_class
        self.rows: list[tuple[str, list[str]]] = []
        self._depth = 0
        self._row: list[str] | None = None
        self._row_class = ""
        self._cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and self.wanted in classes:
            self._depth = 1
        elif self._depth and tag == "tr":
            self._row, self._row_class = [], " ".join(classes)
        elif self._depth and tag == "td" and self._row is not None:
            self._row.append("")
            self._cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = False
        elif tag == "tr" and self._row:
            self.rows.append((self._row_class, self._row))
            self._row = None
        elif tag == "table":
            self._depth = 0

    def handle_data(self, data: str) -> None:
        if self._cell and self._row is not None:
            self._row[-1] += data


def _cells(html: str, table_class: str) -> list[tuple[str, list[str]]]:
    parser = _Cells(table_class)
    parser.feed(html)
    return parser.rows


def _toy_task(family: str | None, name: str, intervention: str = "none") -> Task:
    metadata = {} if family is None else {"family": family, "intervention": intervention}
    return Task(
        dataset=[Sample(input=f"say {w}", target=w) for w in ("yes", "no", "maybe")],
        solver=generate(),
        scorer=match(),
        name=name,
        metadata=metadata,
    )


@pytest.fixture(scope="module")
def toy_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logs of a family ``toy`` (plain and with an intervention) and of a task of no family."""
    root = tmp_path_factory.mktemp("toy_logs")
    tasks = [
        _toy_task("toy", "toy_task"),
        _toy_task("toy", "toy_task_principled", intervention="principles"),
        _toy_task(None, "plain_task"),
    ]
    logs = eval(tasks, model=_writes_yes(), log_dir=str(root), display="none")
    assert [log.status for log in logs] == ["success"] * 3
    return root


def _toy_rows(runs: Sequence[RunLog]) -> list[MetricResult]:
    rows = []
    for run in runs:
        assert isinstance(run, RunLog) and run.family == "toy"
        intervention = str(run.metadata.get("intervention") or "none")
        for subset, measured in (("a", 0.9), ("b", 0.52)):
            value = measured if intervention == "none" else measured + 0.2
            rows.append(
                MetricResult(
                    model=run.model,
                    task="toy",
                    subset=subset,
                    metric="score",
                    value=value,
                    ci_low=value - 0.1,
                    ci_high=value + 0.1,
                    n=len(run.samples),
                    unparsed_rate=0.0,
                    chance=0.5,
                    log_file=str(run.path),
                    data="toy-public",
                    intervention=intervention,
                )
            )
    return rows


def _toy_sections(runs: Sequence[RunLog]) -> list[Section]:
    return [
        Section(
            "Toy details <b>",
            (
                Heading("Per item"),
                Text("Numbers below come from the toy analysis."),
                Table.of(("item", "value"), [("x", 0.12345), ("y", None)], numeric=(1,)),
            ),
            warnings=("toy warning",),
            family="toy",
        )
    ]


@pytest.fixture
def toy_family(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Register a family ``toy`` whose analysis module is importable by name."""
    module = types.ModuleType(TOY_MODULE)
    module.results = _toy_rows  # type: ignore[attr-defined]
    module.sections = _toy_sections  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, TOY_MODULE, module)
    toy = Benchmark(
        name="toy", title="Toy family", tasks={}, analysis=TOY_MODULE, headline=("b", "score")
    )
    monkeypatch.setattr(build, "benchmarks", lambda: (toy,))
    return module


def test_a_registered_family_gets_its_runs_and_its_part_of_the_page(
    toy_logs: Path, toy_family: types.ModuleType, tmp_path: Path
) -> None:
    built = build_report(toy_logs, tmp_path / "report.html")
    html = built.path.read_text()
    toy = [r for r in built.results if r.task == "toy"]
    assert len(toy) == 4 and {r.intervention for r in toy} == {"none", "principles"}
    # The family's section, through the section and table partials, inside its <details>.
    part = html[html.index('<details class="family" id="family-toy"') :]
    part = part[: part.index("</details>")]
    assert "<h2>Toy family</h2>" in part
    assert "Toy details &lt;b&gt;" in part and "toy warning" in part
    assert "<h4>Per item</h4>" in part and "0.123" in part and "–" in part
    # The intervention column appears, since a row has an intervention.
    header = re.search(r'<table class="summary"><thead><tr>(.*?)</tr>', part)
    assert header is not None and "<th>intervention</th>" in header.group(1)
    assert built.warnings == []


def test_profile_shows_the_headline_per_family_and_intervention(
    toy_logs: Path, toy_family: types.ModuleType, tmp_path: Path
) -> None:
    html = build_report(toy_logs, tmp_path / "report.html").path.read_text()
    assert html.index('id="profile"') < html.index('<details class="family"')
    lines = _cells(html, "profile")
    toy = [cells for _, cells in lines if cells[0].startswith("Toy family")]
    # Headline ("b", "score"), not the first row ("a"); the baseline first, then the intervention.
    assert [c[:3] for c in toy] == [
        ["Toy family", "toy · b", "score"],
        ["Toy family + principles", "toy · b", "score"],
    ]
    plain_line, intervened_line = toy
    assert plain_line[3] == "0.520≈ chance" and plain_line[4] == "[0.420, 0.620]"
    assert plain_line[5] == "0.500" and plain_line[7] == "toy-public"
    assert intervened_line[3] == "0.720"  # CI [0.62, 0.82] excludes chance: no mark
    classes = [c for c, cells in lines if cells[0].startswith("Toy family")]
    assert "near-chance" in classes[0].split() and "near-chance" not in classes[1].split()
    # The plain task has a profile line too, and the page the profile's SVG; with one model
    # no bar chart of the profile (each of its lines would be one bar).
    assert any(cells[0] == "plain_task" for _, cells in lines)
    profile = html[html.index('id="profile"') : html.index('<details class="family"')]
    assert "<svg" in profile
    assert 'alt="headline metric per family and model"' not in html


def test_runs_of_no_family_get_rows_from_the_metrics_inspect_stored(toy_logs: Path) -> None:
    runs = load_logs(toy_logs).without_family()
    assert [r.task for r in runs] == ["plain_task"]
    rows = plain_results(runs)
    assert [(r.task, r.subset, r.metric) for r in rows] == [("plain_task", "match", "accuracy")]
    [row] = rows
    # The model writes "yes": one of the three targets.
    assert row.value == pytest.approx(1 / 3) and row.n == 3 and math.isnan(row.ci_low)
    assert "stderr" in row.extra and row.data != "bundled" and row.intervention == "none"


def test_a_failing_analysis_is_a_visible_warning_and_the_rest_still_appears(
    toy_logs: Path, toy_family: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(runs: Sequence[RunLog]) -> list[MetricResult]:
        raise ValueError("old log layout")

    monkeypatch.setattr(toy_family, "results", broken)
    built = build_report(toy_logs, tmp_path / "report.html")
    assert built.warnings == ["toy analysis failed: ValueError: old log layout"]
    html = built.path.read_text()
    assert "1 warning</strong>" in html and "toy analysis failed" in html
    assert [r.task for r in built.results] == ["plain_task"]


def test_unreadable_logs_are_counted_in_the_page_and_the_warnings(
    toy_logs: Path, toy_family: types.ModuleType, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(toy_logs, logs)
    (logs / "2020-01-01T00-00-00_killed_abc.eval").write_bytes(b"PK\x03\x04 truncated")
    built = build_report(logs, tmp_path / "report.html")
    assert len(built.warnings) == 1  # one line per unreadable file, no count line on top
    assert "killed_abc.eval" in built.warnings[0] and "\n" not in built.warnings[0]
    html = built.path.read_text()
    assert "1 warning</strong>" in html and "killed_abc.eval" in html
    assert {r.task for r in built.results} == {"toy", "plain_task"}


# --- defect 3: rows on bundled data say so, whatever the model ---------------------------------


@pytest.fixture(scope="module")
def ethics_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETHICS commonsense by a model that is not the bundled one: on bundled and public data."""
    from alignlab.benchmarks.ethics.tasks import ethics_commonsense

    root = tmp_path_factory.mktemp("ethics_logs")
    logs = eval(
        [
            ethics_commonsense(limit=6),
            ethics_commonsense(data_dir=str(FIXTURES / "ethics_public"), variant="direct"),
        ],
        model=_says_yes(),
        log_dir=str(root),
        display="none",
    )
    assert [log.status for log in logs] == ["success"] * 2
    return root


def test_rows_on_bundled_data_are_marked_for_every_model(ethics_logs: Path, tmp_path: Path) -> None:
    built = build_report(ethics_logs, tmp_path / "report.html")
    assert built.results and not any("smollm2" in r.model for r in built.results)
    by_variant = {r.variant: r.data for r in built.results}
    assert by_variant == {"paper": "bundled", "direct": "ethics_public"}
    html = built.path.read_text()
    assert html.count(BUNDLED_DATA_NOTE.replace("'", "&#39;")) == 1
    summary = _cells(html, "summary")
    data_column = len(summary[0][1]) - 2  # before "details"
    for _, cells in summary:
        # One model on the page: no model column, so the variant is the third cell.
        assert cells[data_column] == ("bundled" if cells[2] == "paper" else "ethics_public")
    assert 'class="bundled-data"' in html
    [(_, line)] = _cells(html, "profile")
    assert line[-1] == "bundled"  # the profile shows the paper variant, on bundled data


def test_no_bundled_note_without_bundled_rows(ethics_logs: Path, tmp_path: Path) -> None:
    public = tmp_path / "logs"
    public.mkdir()
    for log in load_logs(ethics_logs).runs:
        if log.metadata.get("data") != "bundled":
            shutil.copy(log.path, public / log.path.name)
    html = build_report(public, tmp_path / "report.html").path.read_text()
    assert 'class="bundled-data"' not in html
    assert BUNDLED_DATA_NOTE.replace("'", "&#39;") not in html


def test_samples_are_freed_once_their_family_is_reported(ethics_logs: Path, tmp_path: Path) -> None:
    from alignlab.report.logs import load_logs

    build_report(ethics_logs, tmp_path / "report.html")
    runs = load_logs(ethics_logs).runs  # the cached read the report used
    assert runs and all(run._samples is None for run in runs)
    assert runs[0].samples  # read again on demand
