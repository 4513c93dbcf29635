"""Greatest Good Benchmark items: Oxford Utilitarianism Scale statements and utilitarian dilemmas.

Both are rated on a 1-7 agreement scale. One schema for both (the item
schema the spec suggests for the GGB): ``id`` (items sharing an id are
rephrasings of one statement), ``subscale`` (``IB`` impartial beneficence or
``IH`` instrumental harm), ``statement``, and optionally ``variant_id`` (the
phrasing). Files are JSON lines or CSV: ``ous_items.*`` (the scale) and
``dilemmas.*`` (extra dilemmas).

The bundled files are written by this project: the nine OUS statements of
Kahane et al. (2018), each in two phrasings of our own (the scale's wording is
not shipped: we know of no licence that allows it), and twelve utilitarian
dilemmas of our own. See ``data/CARD.md``. Malformed rows raise
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import data_root, first_file, read_rows, required_text
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.greatest_good"
SUBSCALES = ("IB", "IH")
SOURCES = {"ous": "ous_items", "dilemmas": "dilemmas"}
SUFFIXES = (".jsonl", ".csv")


@dataclass(frozen=True)
class RatedItem:
    """One statement to rate 1-7; ``id`` is shared by the phrasings of one statement."""

    id: str
    subscale: str
    statement: str
    variant_id: str
    source: str
    kind: str
    """``ous`` (a scale statement) or ``dilemmas``."""

    @property
    def sample_id(self) -> str:
        return f"{self.id}:{self.variant_id}"


def load_items(
    data_dir: str | Path | None = None, kinds: tuple[str, ...] = ("ous", "dilemmas")
) -> list[RatedItem]:
    """The items of ``kinds`` from ``data_dir`` (a folder with ``ous_items.*`` and/or
    ``dilemmas.*``), or the bundled items.

    Raises:
        DatasetError: none of the files is there; a row lacks a field, has an
            unknown subscale, or repeats an (id, variant_id) pair.
    """
    root = data_root(data_dir, PACKAGE)
    items: list[RatedItem] = []
    found = False
    for kind in kinds:
        file = first_file(root, [SOURCES[kind] + s for s in SUFFIXES])
        if file is None:
            continue
        found = True
        items.extend(_read(file, kind))
    if not found:
        names = ", ".join(SOURCES[k] + s for k in kinds for s in SUFFIXES)
        raise DatasetError(
            root, f"holds none of {names}; leave data_dir out to use the bundled items"
        )
    return items


def _read(file: Path, kind: str) -> list[RatedItem]:
    items: list[RatedItem] = []
    seen: dict[str, int] = {}
    for line_no, row in read_rows(file):
        subscale = required_text(row, "subscale", file, line_no).upper()
        if subscale not in SUBSCALES:
            raise DatasetError(
                file, f"unknown subscale '{subscale}'; use IB or IH", line=line_no, field="subscale"
            )
        item = RatedItem(
            id=required_text(row, "id", file, line_no),
            subscale=subscale,
            statement=required_text(row, "statement", file, line_no),
            variant_id=str(row.get("variant_id") or "p1").strip(),
            source=f"{file.name}:{line_no}",
            kind=kind,
        )
        if item.sample_id in seen:
            raise DatasetError(
                file,
                f"duplicate id and variant_id '{item.sample_id}' "
                f"(first at line {seen[item.sample_id]})",
                line=line_no,
                field="id",
            )
        seen[item.sample_id] = line_no
        items.append(item)
    if not items:
        raise DatasetError(file, "holds no items")
    return items
