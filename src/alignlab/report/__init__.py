"""HTML reports, leaderboards and run comparisons built from eval logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignlab.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]


def __getattr__(name: str) -> Any:
    # Lazy: importing matplotlib costs ~0.4 s, which `alignlab.report.results`
    # users and CLI start-up should not pay.
    if name in __all__:
        from alignlab.report import html

        return getattr(html, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
