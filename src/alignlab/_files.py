"""Files written whole or not at all: a temporary file beside the target, renamed over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced_atomically(
    target: Path, *, prefix: str | None = None, suffix: str = ".part", mode: int | None = None
) -> Iterator[Path]:
    """A temporary file in ``target``'s folder, to write inside the ``with`` block.

    When the block ends normally the file replaces ``target`` in one rename, so
    a reader (or a concurrent first run) never sees half of it; when the block
    raises, the file is removed and ``target`` is left as it was. ``prefix``
    defaults to ``target``'s name; ``mode`` sets the file's permissions
    (``mkstemp`` creates it readable by its owner only).
    """
    handle, name = tempfile.mkstemp(
        dir=target.parent, prefix=target.name if prefix is None else prefix, suffix=suffix
    )
    os.close(handle)
    try:
        if mode is not None:
            os.chmod(name, mode)
        yield Path(name)
        os.replace(name, target)
    finally:
        if os.path.exists(name):
            os.unlink(name)
