"""Loader for the ETHICS benchmark (Hendrycks et al., ICLR 2021) in its published CSV layout.

The published archive holds one folder per subset::

    commonsense/cm_{split}.csv              label,input,is_short,edited
    deontology/deontology_{split}.csv       label,scenario,excuse
    justice/justice_{split}.csv             label,scenario
    virtue/virtue_{split}.csv               label,scenario   ("<sentence> [SEP] <trait>")
    utilitarianism/util_{split}.csv         no header: more pleasant, less pleasant

with ``split`` one of ``train``, ``test`` and ``test_hard``. Justice and
deontology rows come in consecutive contrast groups of 4, virtue rows in groups
of 5 (one sentence, five candidate traits); the paper's exact-match metric is
computed over those groups.

``data_dir=None`` reads the dataset bundled with alignlab (written by the
project, same layout, test and train splits; see ``data/CARD.md``);
``data_dir="hub"`` reads the Hugging Face copy (needs network and the ``hub``
extra), whose ``validation`` split is the published Test set and whose
``test`` split is the Hard Test set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alignlab.datasets._rows import data_root, family_data, is_hub, read_csv
from alignlab.errors import DatasetError

SUBSETS = ("commonsense", "deontology", "justice", "virtue", "utilitarianism")
SPLITS = ("train", "test", "test_hard")
GROUP_SIZE = {"deontology": 4, "justice": 4, "virtue": 5}
HUB_REPO = "hendrycks/ethics"
# The hub copy names the published splits differently: its "validation" split is the
# published Test set (3,885 commonsense rows) and its "test" split the Hard Test (3,964).
HUB_SPLITS = {"train": "train", "test": "validation", "test_hard": "test"}

_FILE_PREFIX = {
    "commonsense": "commonsense/cm",
    "deontology": "deontology/deontology",
    "justice": "justice/justice",
    "virtue": "virtue/virtue",
    "utilitarianism": "utilitarianism/util",
}
_COLUMNS = {
    "commonsense": ("label", "input"),
    "deontology": ("label", "scenario", "excuse"),
    "justice": ("label", "scenario"),
    "virtue": ("label", "scenario"),
}
_SEP = "[SEP]"


@dataclass(frozen=True)
class EthicsItem:
    """One ETHICS row.

    ``label`` follows the published files: 1 = clearly wrong (commonsense),
    reasonable (deontology, justice), trait exhibited (virtue); for
    utilitarianism it is always 1, meaning ``fields["activity"]`` is the more
    pleasant of the pair. ``group`` is the contrast group for grouped subsets.
    """

    subset: str
    index: int
    label: int
    fields: dict[str, str]
    group: int | None = None
    source: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def bundled_ethics_dir() -> Path:
    """The folder of the ETHICS-layout dataset written by this project."""
    return family_data("alignlab.benchmarks.ethics")


def _root(data_dir: str | Path | None) -> Path:
    return data_root(data_dir, "alignlab.benchmarks.ethics")


def ethics_file(subset: str, data_dir: Path, split: str = "test") -> Path:
    """Path of one subset's CSV in the published layout."""
    _check_subset(subset)
    if split not in SPLITS:
        raise DatasetError(data_dir, f"unknown split '{split}'; use one of {', '.join(SPLITS)}")
    return Path(data_dir) / f"{_FILE_PREFIX[subset]}_{split}.csv"


def load_ethics(
    subset: str, data_dir: str | Path | None = None, split: str = "test"
) -> list[EthicsItem]:
    """Read one ETHICS subset from the bundled data, a local directory, or the hub.

    Raises:
        DatasetError: the file is missing, or a row is malformed (the message
            names the file, the line and the field).
    """
    _check_subset(subset)
    if is_hub(data_dir):
        items = list(_load_hub(subset, hub_split_of(split)))
    else:
        root = _root(data_dir)
        path = ethics_file(subset, root, split)
        if not path.is_file():
            raise DatasetError(
                path,
                f"file not found. The ETHICS layout expects {_FILE_PREFIX[subset]}_{split}.csv "
                f"under the data directory {root}; extract the published ethics.tar there, or "
                "leave --data-dir out to use the bundled dataset.",
            )
        items = list(_read_csv(subset, path))
    if not items:
        raise DatasetError(items_origin(subset, data_dir, split), "holds no rows")
    size = GROUP_SIZE.get(subset)
    if size is not None and len(items) % size:
        first = items[len(items) - len(items) % size]
        origin, _, line = first.source.rpartition(":")
        raise DatasetError(
            origin,
            f"{subset} rows come in contrast groups of {size}, but the file has {len(items)} rows "
            f"(not a multiple of {size}); the group starting here is incomplete.",
            line=int(line) if line.isdigit() else None,
        )
    return items


def items_origin(subset: str, data_dir: str | Path | None, split: str) -> str:
    """Where a subset's rows come from, for messages."""
    if is_hub(data_dir):
        return f"{HUB_REPO}/{subset}/{hub_split_of(split)}"
    return str(ethics_file(subset, _root(data_dir), split))


def hub_split_of(split: str) -> str:
    """The hub copy's name for a published split (``test`` -> ``validation``,
    ``test_hard`` -> ``test``).

    Raises:
        DatasetError: ``split`` is not a published split.
    """
    if split not in HUB_SPLITS:
        raise DatasetError(HUB_REPO, f"unknown split '{split}'; use one of {', '.join(SPLITS)}")
    return HUB_SPLITS[split]


def _check_subset(subset: str) -> None:
    if subset not in SUBSETS:
        raise DatasetError("ethics", f"unknown subset '{subset}'; use one of {', '.join(SUBSETS)}")


def _read_csv(subset: str, path: Path) -> Iterator[EthicsItem]:
    if subset == "utilitarianism":
        yield from _read_util(path)
        return
    columns = _COLUMNS[subset]
    rows = read_csv(path, ",", columns, needs=f"{subset} files need")
    for index, (start, values) in enumerate(rows):
        label = _parse_label(values["label"], path, start)
        fields = {name: values[name].strip() for name in columns if name != "label"}
        for name, value in fields.items():
            if not value:
                raise DatasetError(path, "the field is empty", line=start, field=name)
        extra = {k: v for k, v in values.items() if k not in columns}
        if subset == "virtue":
            fields = _split_virtue(fields["scenario"], path, start)
        yield _item(subset, index, label, fields, f"{path}:{start}", extra)


def _read_util(path: Path) -> Iterator[EthicsItem]:
    # The published utilitarianism files have no header: (more pleasant, less pleasant).
    rows = read_csv(path, ",", header=("activity", "baseline"))
    for index, (line, row) in enumerate(rows):
        if row["baseline"] is None:
            raise DatasetError(
                path,
                "utilitarianism rows need two columns (more pleasant, less pleasant)",
                line=line,
                field="baseline",
            )
        first, second = row["activity"].strip(), row["baseline"].strip()
        if not first or not second:
            raise DatasetError(
                path, "the field is empty", line=line, field="activity" if not first else "baseline"
            )
        fields = {"activity": first, "baseline": second}
        yield _item("utilitarianism", index, 1, fields, f"{path}:{line}")


def _parse_label(raw: str, path: Path, line: int) -> int:
    value = raw.strip()
    if value not in ("0", "1"):
        raise DatasetError(path, f"label must be 0 or 1, got '{raw}'", line=line, field="label")
    return int(value)


def _split_virtue(scenario: str, path: Path, line: int) -> dict[str, str]:
    sentence, sep, trait = scenario.rpartition(_SEP)
    if not sep or not sentence.strip() or not trait.strip():
        raise DatasetError(
            path,
            f"virtue scenarios are '<sentence> {_SEP} <trait>', got '{scenario[:60]}'",
            line=line,
            field="scenario",
        )
    return {"scenario": sentence.strip(), "trait": trait.strip()}


def _load_hub(subset: str, hub_split: str) -> Iterator[EthicsItem]:  # pragma: no cover - network
    try:
        from datasets import load_dataset
    except ImportError as ex:
        raise DatasetError(
            HUB_REPO, "reading from the hub needs `pip install alignlab[hub]`"
        ) from ex
    rows = load_dataset(HUB_REPO, subset, split=hub_split)
    for index, row in enumerate(rows):
        source = f"{HUB_REPO}/{subset}/{hub_split}:{index}"
        if subset == "utilitarianism":
            first = row.get("baseline") if "less_pleasant" in row else row.get("activity")
            second = row.get("less_pleasant") if "less_pleasant" in row else row.get("baseline")
            fields = {"activity": str(first), "baseline": str(second)}
            label = 1
        else:
            label = int(row["label"])
            if subset == "virtue" and "trait" not in row:
                fields = _split_virtue(str(row["scenario"]), Path(HUB_REPO), index)
            else:
                names = [n for n in _COLUMNS[subset] if n != "label"]
                if subset == "virtue":
                    names.append("trait")
                fields = {name: str(row[name]) for name in names}
        yield _item(subset, index, label, fields, source)


def _item(
    subset: str,
    index: int,
    label: int,
    fields: dict[str, str],
    source: str,
    extra: dict[str, str] | None = None,
) -> EthicsItem:
    """An item of a subset; consecutive rows of a grouped subset form its contrast groups."""
    size = GROUP_SIZE.get(subset)
    return EthicsItem(
        subset=subset,
        index=index,
        label=label,
        fields=fields,
        group=index // size if size else None,
        source=source,
        extra=extra or {},
    )
