"""The terminal summary: intervened runs get a column, numbers go through the one formatter."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignlab import cli
from alignlab.report.results import MetricResult


def _row(intervention: str, value: float) -> MetricResult:
    return MetricResult(
        "m", "ethics", "commonsense", "accuracy", value, 0.25, 0.75, 8, 0.0,
        chance=0.5, intervention=intervention,
    )  # fmt: skip


def _printed(rows: list[MetricResult]) -> str:
    with cli.console.capture() as captured:
        cli._print_summary(rows)
    return captured.get()


def test_intervention_column_only_when_a_run_intervened() -> None:
    plain = _printed([_row("none", 0.5)])
    assert "intervention" not in plain
    both = _printed([_row("none", 0.5), _row("principles", 0.625)])
    assert "intervention" in both and "principles" in both
    assert "0.625" in both and "[0.250, 0.750]" in both
    assert "–" in both  # no majority baseline: the report's mark for a missing value


def _wide_rows() -> list[MetricResult]:
    rows = []
    for i, subset in enumerate(["commonsense", "deontology", "justice", "a rather long subset"]):
        for scoring in ("generate", "logprob"):
            rows.append(
                MetricResult(
                    "openai-api/local/some-long-model-name-7b-instruct-q4", "ethics_" + subset,
                    subset, "balanced_accuracy", 0.5 + i / 10, 0.4 + i / 10, 0.6 + i / 10, 1234,
                    0.0, chance=0.5, majority=0.5123, variant="paper", scoring=scoring,
                    intervention="principles:constitution=default" if i % 2 else "none",
                )
            )  # fmt: skip
    return rows


@pytest.mark.parametrize("width", [100, 140])
def test_table_fits_the_terminal_with_values_cis_and_n_whole(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    monkeypatch.setattr(cli, "console", Console(width=width, record=True))
    with cli.console.capture() as captured:
        cli._print_summary(_wide_rows())
    text = captured.get()
    assert max(len(line) for line in text.splitlines()) <= width, text
    for r in _wide_rows():
        assert f"[{r.ci_low:.3f}, {r.ci_high:.3f}]" in text, text
    assert "1234" in text and "0.800" in text
    # rows differ by scoring method: the column is shown; one model: named once, above
    assert "scoring" in text and "generate" in text and "logprob" in text
    assert text.count("some-long-model-name") == 1


def test_replayed_run_redraws_the_table_for_the_current_width(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console
    from typer.testing import CliRunner

    from fake_runner import install

    install(monkeypatch)

    def write_report(log_dir: Path, output: Path) -> Path:
        output.write_text("<html>")
        cli._print_summary(_wide_rows())
        return output

    monkeypatch.setattr(cli, "_write_report", write_report)
    logs = tmp_path / "logs"
    argv = ["eval", "--task", "ethics_commonsense", "--limit", "2", "--log-dir", str(logs)]
    outputs = []
    for width in (140, 100):
        monkeypatch.setattr(cli, "console", Console(width=width, record=True))
        result = CliRunner().invoke(cli.app, argv)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    first, replayed = outputs
    assert "already complete" in replayed and "already complete" not in first
    assert cli.SUMMARY_MARK not in replayed
    table = replayed.split("Run already complete")[0]
    assert max(len(line) for line in table.splitlines()) <= 100, replayed
    assert max(len(line) for line in first.splitlines()) > 100  # drawn for 140 the first time
    for r in _wide_rows():
        assert f"[{r.ci_low:.3f}, {r.ci_high:.3f}]" in replayed
