"""replaced_atomically: a file is replaced whole, or left as it was with nothing behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from alignlab._files import replaced_atomically


def test_the_block_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with replaced_atomically(target) as partial:
        assert partial.parent == tmp_path and partial.name.startswith("out.json")
        assert partial.name.endswith(".part")
        partial.write_text("new")
        assert target.read_text() == "old"  # not before the block ends
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_failed_block_leaves_the_target_and_no_fragment(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), replaced_atomically(target) as partial:
        partial.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_prefix_suffix_and_mode(tmp_path: Path) -> None:
    target = tmp_path / "records.json"
    with replaced_atomically(target, prefix="records.json.", suffix=".tmp", mode=0o644) as tmp:
        assert tmp.name.startswith("records.json.") and tmp.name.endswith(".tmp")
        tmp.write_text("{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with replaced_atomically(tmp_path / "private.bin") as partial:
        partial.write_bytes(b"x")
    assert stat.S_IMODE((tmp_path / "private.bin").stat().st_mode) == 0o600
