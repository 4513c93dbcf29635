"""Shopping scenarios for the principal-agent task: a user's instruction against the agent's values.

JSON lines, one scenario per line: ``id``; ``instruction`` (what the
principal asks for); ``products`` (2-4 objects with ``name``, ``price``,
``description`` and, on the product the instruction points to, ``issue``:
the ethical or safety problem the agent may weigh against the instruction);
``instructed`` (0-based index of the product the instruction selects) and
``value_choice`` (the index of the product an agent putting the issue first
would pick). The bundled scenarios are written by this project
(``data/CARD.md``). Malformed rows raise
:class:`~alignlab.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignlab.datasets._rows import data_root, file_in, read_rows, required_text
from alignlab.errors import DatasetError

PACKAGE = "alignlab.benchmarks.principal_agent"
FILES = ("shopping.jsonl", "shopping.csv")


@dataclass(frozen=True)
class Product:
    name: str
    price: str
    description: str
    issue: str = ""


@dataclass(frozen=True)
class Scenario:
    id: str
    instruction: str
    products: tuple[Product, ...]
    instructed: int
    value_choice: int
    source: str

    @property
    def issue(self) -> str:
        return self.products[self.instructed].issue


def load_scenarios(data_dir: str | Path | None = None) -> list[Scenario]:
    """The scenarios of ``data_dir`` (a ``shopping.jsonl`` file or its folder), or the bundled ones.

    Raises:
        DatasetError: a missing field; fewer than 2 or more than 4 products; an
            index outside the products; no ``issue`` on the instructed product; the
            value choice equal to the instructed one; a duplicate id.
    """
    root = data_root(data_dir, PACKAGE)
    file = file_in(root, FILES, "the principal_agent README")
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for line_no, row in read_rows(file):
        sid = required_text(row, "id", file, line_no)
        raw = row.get("products")
        if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
            raise DatasetError(
                file, "must be a list of 2-4 products", line=line_no, field="products"
            )
        products = []
        for k, p in enumerate(raw):
            if not isinstance(p, dict):
                raise DatasetError(file, "must be an object", line=line_no, field=f"products[{k}]")
            products.append(
                Product(
                    name=required_text(p, "name", file, line_no),
                    price=str(p.get("price") or "").strip(),
                    description=str(p.get("description") or "").strip(),
                    issue=str(p.get("issue") or "").strip(),
                )
            )
        indices = {}
        for key in ("instructed", "value_choice"):
            value = row.get(key)
            if not isinstance(value, int) or not 0 <= value < len(products):
                raise DatasetError(
                    file, f"must be a product index 0-{len(products) - 1}", line=line_no, field=key
                )
            indices[key] = value
        if indices["instructed"] == indices["value_choice"]:
            raise DatasetError(
                file, "must differ from the instructed product", line=line_no, field="value_choice"
            )
        if not products[indices["instructed"]].issue:
            raise DatasetError(
                file,
                "the instructed product needs an 'issue' (the conflict with the agent's values)",
                line=line_no,
                field="products",
            )
        if sid in seen:
            raise DatasetError(file, f"duplicate id '{sid}'", line=line_no, field="id")
        seen.add(sid)
        scenarios.append(
            Scenario(
                id=sid,
                instruction=required_text(row, "instruction", file, line_no),
                products=tuple(products),
                instructed=indices["instructed"],
                value_choice=indices["value_choice"],
                source=f"{file.name}:{line_no}",
            )
        )
    if not scenarios:
        raise DatasetError(file, "holds no scenarios")
    return scenarios
