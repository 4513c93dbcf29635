"""``alignlab report DIR``: where the page goes, the fast path it keeps, logs it cannot read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alignlab import cli, runcache
from alignlab.report import build

EVAL = "2026-01-01T00-00-00-00-00_ethics-commonsense_abc.eval"


class FakeBuild:
    """Stands in for ``build_report``: writes a page, records where."""

    def __init__(self) -> None:
        self.outputs: list[Path] = []

    def __call__(self, log_dir: Path, output: Path) -> build.BuiltReport:
        out = Path(output)
        out.write_text(f"<html>{len(self.outputs)}</html>")
        self.outputs.append(out)
        return build.BuiltReport(path=out, results=[], warnings=[])


@pytest.fixture()
def fake_build(monkeypatch: pytest.MonkeyPatch) -> FakeBuild:
    fake = FakeBuild()
    monkeypatch.setattr(build, "build_report", fake)
    return fake


def _report(*args: str) -> Any:
    return CliRunner().invoke(cli.app, ["report", *args])


def test_report_goes_into_the_log_folder_by_default(
    tmp_path: Path, fake_build: FakeBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        result = _report(str(tmp_path / name))
        assert result.exit_code == 0, result.output
    assert fake_build.outputs == [tmp_path / "a" / "report.html", tmp_path / "b" / "report.html"]
    assert not (tmp_path / "report.html").exists()  # the two no longer overwrite each other
    _report(str(tmp_path / "a"), "-o", str(tmp_path / "x.html"))
    assert fake_build.outputs[-1] == tmp_path / "x.html"


def test_rebuilding_the_report_keeps_the_fast_path(tmp_path: Path, fake_build: FakeBuild) -> None:
    (tmp_path / EVAL).write_bytes(b"log")
    report = tmp_path / "report.html"
    report.write_text("<html>first</html>")
    runcache.store(tmp_path, "k", ["Logs: x"], report)
    assert runcache.lookup(tmp_path, "k") is not None
    assert _report(str(tmp_path)).exit_code == 0
    assert report.read_text() != "<html>first</html>"
    assert runcache.lookup(tmp_path, "k") is not None  # same logs, same report: still fast


def test_changed_logs_are_not_vouched_for(tmp_path: Path, fake_build: FakeBuild) -> None:
    (tmp_path / EVAL).write_bytes(b"log")
    report = tmp_path / "report.html"
    report.write_text("<html>first</html>")
    runcache.store(tmp_path, "k", ["Logs: x"], report)
    (tmp_path / EVAL).write_bytes(b"a longer log")
    assert _report(str(tmp_path)).exit_code == 0
    assert runcache.lookup(tmp_path, "k") is None


def test_all_logs_unreadable_fails_with_one_line_per_file(tmp_path: Path) -> None:
    for i in (1, 2):
        (tmp_path / f"2026-01-0{i}T00-00-00_x_{i}.eval").write_bytes(b"garbage")
    result = _report(str(tmp_path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    [line] = [ln for ln in result.output.splitlines() if ln.strip()]
    assert line.startswith("error: No readable Inspect log")
    assert line.count("EOCD") == 2 or line.count("_x_") == 2
    assert not (tmp_path / "report.html").exists()
