"""What analyses hand the page: structured sections, never HTML.

An analysis returns :class:`Section` s made of blocks (headings, text,
tables, figures); the templates in ``report/templates/partials`` render them,
so escaping, number formatting and table markup live in one place. Cells
are strings already formatted with :mod:`alignlab.report.format`, or numbers
(formatted with :func:`~alignlab.report.format.num`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Plain = str | float | int | None


@dataclass(frozen=True)
class Styled:
    """A cell with presentation: extra CSS classes, a note after the value, a tooltip.

    ``note`` is shown right after the value in a ``<span class="{note_css}">``
    (say a "≈ chance" badge); ``title`` becomes the cell's tooltip.
    """

    value: Plain | tuple[str, ...]
    css: str = ""
    note: str = ""
    note_css: str = ""
    note_title: str = ""
    title: str = ""


@dataclass(frozen=True)
class Link:
    """A cell that is a link (say, a sample opened in ``inspect view``)."""

    text: str
    href: str
    title: str = ""


Cell = Plain | Styled | Link | tuple[str, ...] | tuple[Link, ...]
"""A table cell: text, a number, None (shown as "–"), a :class:`Styled` value, a
:class:`Link`, a tuple of strings shown one per line, or a tuple of links."""


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph; ``kind="warning"`` renders it as a warning box, ``"muted"`` in grey."""

    text: str
    kind: Literal["plain", "warning", "muted"] = "plain"


@dataclass(frozen=True)
class Table:
    """A table; columns listed in ``numeric`` are right-aligned.

    ``css`` is the table's class; ``row_css`` gives each row's class (same
    length as ``rows``, or empty).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[int, ...] = ()
    caption: str = ""
    css: str = ""
    row_css: tuple[str, ...] = ()

    @staticmethod
    def of(
        columns: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        numeric: Sequence[int] = (),
        caption: str = "",
        *,
        css: str = "",
        row_css: Sequence[str] = (),
    ) -> Table:
        return Table(
            tuple(columns),
            tuple(tuple(r) for r in rows),
            tuple(numeric),
            caption,
            css,
            tuple(row_css),
        )


@dataclass(frozen=True)
class Figure:
    """An image (a ``data:`` URI, so the page stays self-contained) with its caption."""

    src: str
    caption: str


Block = Heading | Text | Table | Figure


@dataclass(frozen=True)
class Section:
    """A titled part of the report made of blocks, with warnings shown at its top."""

    title: str
    blocks: tuple[Block, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    family: str = ""
