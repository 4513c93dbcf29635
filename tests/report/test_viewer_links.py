"""Links from the report into ``inspect view``: the viewer's route scheme, and the page's links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alignlab.report import viewer


def test_sample_href_follows_the_viewers_hash_routes(tmp_path: Path) -> None:
    log = tmp_path / "sub dir" / "2026_task.eval"
    href = viewer.sample_href(log, tmp_path, "a/b c", 2, base="http://h:1")
    # path relative to the served folder, each segment encoded; the id one encoded segment
    assert href == "http://h:1/#/logs/sub%20dir/2026_task.eval/samples/sample/a%2Fb%20c/2/"
    assert viewer.log_href(log, tmp_path, base="http://h:1") == (
        "http://h:1/#/logs/sub%20dir/2026_task.eval"
    )
    assert viewer.sample_href(log, tmp_path, 7, base="http://h:1").endswith("/sample/7/1/")


def test_view_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(viewer.VIEW_URL_ENV, raising=False)
    assert viewer.view_url() == "http://127.0.0.1:7575"
    monkeypatch.setenv(viewer.VIEW_URL_ENV, "http://viewer.example:9000/")
    assert viewer.view_url() == "http://viewer.example:9000"


def test_report_links_every_run_and_its_first_samples(tmp_path: Path) -> None:
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelUsage, get_model

    from alignlab.benchmarks.ethics.tasks import ethics_commonsense
    from alignlab.report.build import build_report
    from mock_outputs import top_logprob_output

    usage = ModelUsage(input_tokens=3, output_tokens=1, total_tokens=4)
    model = get_model(
        "mockllm/model",
        custom_outputs=lambda *_: top_logprob_output({"Yes": -0.2, "No": -1.8}, usage),
    )
    [log] = inspect_eval(
        ethics_commonsense(limit=6), model=model, log_dir=str(tmp_path), display="none"
    )
    built = build_report(tmp_path, tmp_path / "report.html")
    page = built.path.read_text(encoding="utf-8")
    name = Path(log.location).name
    assert "Samples in inspect view" in page
    assert f'href="http://127.0.0.1:7575/#/logs/{name}"' in page
    ids = [str(s.id) for s in sorted(log.samples or [], key=lambda s: str(s.id))]
    links = re.findall(rf'href="http://127\.0\.0\.1:7575/#/logs/{re.escape(name)}'
                       r'/samples/sample/([^/"]+)/1/"', page)  # fmt: skip
    assert links == ids[: len(links)] and len(links) == 5
