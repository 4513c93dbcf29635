"""Links from the report into ``inspect view``: a log, or one sample of it.

Inspect's viewer is a single-page app with hash routes (read from the
viewer's own route code, ``inspect_ai/_view/dist``): a log is
``#/logs/<path>`` and a sample ``#/logs/<path>/samples/sample/<id>/<epoch>/``,
where ``<path>`` is the log's path relative to the folder the viewer serves
(``inspect view --log-dir DIR``), each segment URI-encoded, and the sample id
URI-encoded as one segment (so an id with a slash stays one id).

The links point at ``http://127.0.0.1:7575`` (``inspect view``'s default
address) unless ``ALIGNLAB_VIEW_URL`` names another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alignlab.report.logs import RunLog, register_view

DEFAULT_VIEW_URL = "http://127.0.0.1:7575"
VIEW_URL_ENV = "ALIGNLAB_VIEW_URL"
# encodeURIComponent's unreserved set, which the viewer's own links use.
_SAFE = "!~*'()"
_VIEW = "viewer.ids"


def view_url() -> str:
    """Where ``inspect view`` is expected to listen (``ALIGNLAB_VIEW_URL`` or the default)."""
    return (os.environ.get(VIEW_URL_ENV) or DEFAULT_VIEW_URL).rstrip("/")


def log_route(log_file: str | Path, log_dir: str | Path) -> str:
    """The viewer's path for ``log_file`` served from ``log_dir``: relative, each segment
    encoded (an absolute path when the log is not under ``log_dir``)."""
    file, root = Path(log_file).resolve(), Path(log_dir).resolve()
    try:
        parts = file.relative_to(root).parts
    except ValueError:
        parts = file.parts[1:]
        return "/" + "/".join(quote(p, safe=_SAFE) for p in parts)
    return "/".join(quote(p, safe=_SAFE) for p in parts)


def log_href(log_file: str | Path, log_dir: str | Path, base: str | None = None) -> str:
    """The address that opens ``log_file`` in ``inspect view --log-dir LOG_DIR``."""
    return f"{base or view_url()}/#/logs/{log_route(log_file, log_dir)}"


def sample_href(
    log_file: str | Path,
    log_dir: str | Path,
    sample_id: str | int,
    epoch: int = 1,
    base: str | None = None,
) -> str:
    """The address that opens one sample (``sample_id``, ``epoch``) of ``log_file`` in the
    viewer serving ``log_dir``."""
    sample = quote(str(sample_id), safe=_SAFE)
    return f"{log_href(log_file, log_dir, base)}/samples/sample/{sample}/{int(epoch)}/"


def sample_keys(run: RunLog) -> list[tuple[Any, int]]:
    """Each sample's (id, epoch), in the log's order (a view: shares the analyses' pass)."""
    return list(run.view(_VIEW, _key))


def _key(sample: Any) -> tuple[Any, int]:
    return (sample.id, int(sample.epoch or 1))


register_view(_VIEW, _key)
