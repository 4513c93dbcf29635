"""Where alignlab keeps its tables: one SQLAlchemy schema, SQLite by default, PostgreSQL by URL.

Every table of alignlab (the run index here; an audit log may add its own)
derives from :class:`Base`, so one ``create_all`` makes the whole schema on
any database SQLAlchemy speaks. The default database is a SQLite file under
``ALIGNLAB_HOME`` (``~/.alignlab``); ``ALIGNLAB_INDEX_URL`` (or an explicit
URL) points elsewhere, e.g. ``postgresql+psycopg://user@host/alignlab``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase

from alignlab.errors import AlignlabError

URL_ENV = "ALIGNLAB_INDEX_URL"
HOME_ENV = "ALIGNLAB_HOME"


class Base(DeclarativeBase):
    """The declarative base of every alignlab table."""


class StoreError(AlignlabError):
    """The run index cannot be opened or read."""


def default_url() -> str:
    """``ALIGNLAB_INDEX_URL``, else a SQLite file ``runs.db`` under ``ALIGNLAB_HOME``.

    Raises:
        StoreError: ``ALIGNLAB_INDEX_URL=off`` (the index is turned off).
    """
    url = os.environ.get(URL_ENV, "").strip()
    if url.lower() == "off":
        raise StoreError(f"The run index is off ({URL_ENV}=off): unset it, or pass --index URL.")
    if url:
        return url
    home = Path(os.environ.get(HOME_ENV) or "~/.alignlab").expanduser()
    return f"sqlite:///{home / 'runs.db'}"


def engine_for(url: str | None = None) -> Engine:
    """An engine on ``url`` (default :func:`default_url`) with every table created.

    Raises:
        StoreError: the URL is malformed, its driver is missing, or the database refuses.
    """
    return _engine(url or default_url())


@functools.lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        # Import the tables so that they are part of Base.metadata.
        from alignlab.store import runs as _runs  # noqa: F401

        Base.metadata.create_all(engine)
    except Exception as ex:
        raise StoreError(
            f"Cannot open the run index at {_safe(url)}: {type(ex).__name__}: "
            f"{str(ex).splitlines()[0] if str(ex) else ''}. Set {URL_ENV} to a reachable "
            "database (sqlite:///PATH or postgresql+psycopg://...)."
        ) from None
    return engine


def _sqlite_pragmas(connection: object, _record: object) -> None:
    # WAL: several alignlab processes may index at once; foreign keys: cascade deletes.
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _safe(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"
