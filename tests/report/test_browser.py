"""The report and the leaderboard in a real headless browser (Debian's chromium via Selenium).

Checked at a 1366x768 viewport: no console errors, every chart rendered (the
profile SVG drawn, every PNG decoded), the profile visible without
scrolling, the leaderboard sorting on click. Screenshots go to
``build/test-artefacts/`` (or ``$ALIGNLAB_TEST_ARTEFACTS``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alignlab.report.build import BUNDLED_NOTE
from alignlab.report.html import Group, write_report
from alignlab.report.results import MetricResult

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
ARTEFACTS = Path(
    os.environ.get("ALIGNLAB_TEST_ARTEFACTS")
    or Path(__file__).resolve().parents[2] / "build" / "test-artefacts"
)
VIEWPORT = {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}


def _row(model: str, task: str, value: float, **kw: Any) -> MetricResult:
    fields: dict[str, Any] = dict(
        subset="all", metric="accuracy", n=120, unparsed_rate=0.0, chance=0.5
    )
    fields.update(kw)
    return MetricResult(
        model, task, value=value, ci_low=value - 0.08, ci_high=value + 0.08, **fields
    )


FAMILIES = {
    "ethics": "ETHICS",
    "scruples": "Scruples",
    "normbank": "Commonsense Norm Bank (Delphi)",
    "pluralism": "Pluralistic alignment",
    "utility": "Utility Engineering",
    "litmus": "LitmusValues",
}


def _groups() -> list[Group]:
    groups = []
    for i, (name, title) in enumerate(FAMILIES.items()):
        rows = [
            _row("alignlab/smollm2", f"{name}_task", 0.5 + 0.03 * i),
            _row("openai-api/local/qwen", f"{name}_task", 0.62 + 0.04 * (i % 3)),
            _row("alignlab/smollm2", f"{name}_task", 0.55, intervention="principles"),
        ]
        groups.append(Group(name, title, rows))
    return groups


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORT)
    try:
        yield driver
    finally:
        driver.quit()


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_report_in_a_browser(browser: Any, tmp_path: Path) -> None:
    page = write_report(
        (), tmp_path / "report.html", groups=_groups(), notes=[BUNDLED_NOTE], title="alignlab"
    )
    browser.get(page.as_uri())
    assert browser.execute_script("return [innerWidth, innerHeight]") == [1366, 768]
    assert _errors(browser) == []
    chart = browser.execute_script(
        """
        const svg = document.querySelector('#profile-chart svg');
        const r = svg.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, width: r.width,
                points: svg.querySelectorAll('circle.point').length,
                drawn: [...svg.querySelectorAll('circle.point')].every(
                    c => c.getBoundingClientRect().width > 0),
                axes: [...svg.querySelectorAll('.axis-title')].map(t => t.textContent.trim())};
        """
    )
    # The whole profile chart sits in the first screen, drawn, one point per family and line.
    assert chart["top"] >= 0 and chart["bottom"] <= 768 and chart["width"] > 800
    assert chart["points"] == 3 * len(FAMILIES) and chart["drawn"]
    assert chart["axes"][0] == "ETHICS" and len(chart["axes"]) == len(FAMILIES)
    images = browser.execute_script(
        "return [...document.images].map(i => [i.complete, i.naturalWidth])"
    )
    assert images and all(done and width > 0 for done, width in images)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTEFACTS / "report-1366x768.png"))
    # Drill-down: a family's axis label opens its part of the page.
    browser.execute_script(
        "document.querySelector('#profile-chart a').dispatchEvent("
        "new MouseEvent('click', {bubbles: true}))"
    )
    assert browser.execute_script("return location.hash") == "#family-ethics"
    assert _errors(browser) == []


def test_leaderboard_sorts_in_a_browser(browser: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from alignlab.report import site

    groups = _groups()
    monkeypatch.setattr(
        site, "leaderboard", lambda dirs: ([site._family_board(groups, _sources(groups))], [])
    )
    page, _ = site.write_site(["logs"], tmp_path / "site")
    browser.get(page.as_uri())
    assert _errors(browser) == []

    def first_column() -> list[str]:
        return browser.execute_script(
            "return [...document.querySelectorAll('table.board tbody tr')]"
            ".map(r => r.cells[1].querySelector('.v').textContent)"
        )

    # Rows as read: each model's run without intervention, then with one.
    assert first_column() == ["0.500", "0.550", "0.620"]
    browser.execute_script("document.querySelectorAll('table.board thead th')[1].click()")
    assert first_column() == ["0.620", "0.550", "0.500"]
    # Sorting by model name, then by the column again (descending first, then ascending).
    browser.execute_script("document.querySelectorAll('table.board thead th')[0].click()")
    assert browser.execute_script(
        "return document.querySelector('table.board tbody tr').cells[0].textContent"
    ).startswith("openai-api")
    for _ in range(2):
        browser.execute_script("document.querySelectorAll('table.board thead th')[1].click()")
    assert first_column() == ["0.500", "0.550", "0.620"]
    marks = browser.execute_script("return document.querySelectorAll('.mark').length")
    assert marks >= 1
    assert browser.save_screenshot(str(ARTEFACTS / "leaderboard-1366x768.png"))
    assert _errors(browser) == []


def _sources(groups: list[Group]) -> dict[tuple[str, str, str], str]:
    return {(g.name, r.model, r.intervention): "logs" for g in groups for r in g.results}
