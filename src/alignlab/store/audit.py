"""The audit log of the guarded proxy: one row per request, in SQLite (WAL) or PostgreSQL.

Tables live on :data:`metadata` (SQLAlchemy Core), so a run index or a
leaderboard can add its own tables to the same database and the same
schema. One row (``audit_log``) records: the request id, the time (UTC), the
policy bundle's sha256, the model, the client (API-key name or address), each
stage's decision and reasons, the final outcome, the features the policies
saw, the latency and the HTTP status; the message texts only when the
operator asks for them (``store_text``).

``AuditLog.write`` commits before it returns; the proxy answers only after
it has returned, so an answer never leaves without its record.
``AuditLog.write_async`` is the proxy's path: a writer thread takes every
record queued since its last commit and inserts them in one transaction
(group commit), and each caller resumes only after that commit; a batch
that fails is retried row by row, so one bad row fails only its own request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import json
import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from alignlab.errors import AlignlabError
from alignlab.store import DEFAULT_DB_URL as DEFAULT_DB_URL

metadata = MetaData()

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("bundle_digest", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("client", String(100), nullable=False),
    Column("request_action", String(16), nullable=True),
    Column("request_reasons", JSON, nullable=False),
    Column("response_action", String(16), nullable=True),
    Column("response_reasons", JSON, nullable=False),
    # allow | deny | rewrite | escalate (the strongest stage outcome), or error (failed closed)
    Column("outcome", String(16), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("escalated", Boolean, nullable=False),
    Column("features", JSON, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("prompt", Text, nullable=True),
    Column("response", Text, nullable=True),
)

COLUMNS = [c.name for c in audit_log.columns]


class AuditError(AlignlabError):
    """The audit database cannot be reached or written (the proxy fails closed on it)."""


@dataclass
class AuditRecord:
    """One request's audit row (``created_at`` defaults to now, UTC)."""

    request_id: str
    bundle_digest: str
    model: str
    client: str
    outcome: str
    reason: str = ""
    request_action: str | None = None
    request_reasons: list[str] = field(default_factory=list)
    response_action: str | None = None
    response_reasons: list[str] = field(default_factory=list)
    escalated: bool = False
    features: dict[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0
    status_code: int = 200
    prompt: str | None = None
    response: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS if name != "id"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (alignlab audit) never block the proxy's writes; a crash of the
    # process loses no committed row.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets WAL mode; PostgreSQL URLs use psycopg 3.

    Raises:
        AuditError: the URL is not one SQLAlchemy can use.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 5})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=10, connect_args={"connect_timeout": 3}
            )
    except (SQLAlchemyError, ImportError, ValueError) as ex:
        raise AuditError(f"cannot use audit database URL {url!r}: {ex}") from None
    return engine


MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` with Alembic (``store/migrations``).

    Raises:
        SQLAlchemyError: the database cannot be reached.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class AuditLog:
    """Writes and reads audit records; opening one migrates its database (``create``)."""

    def __init__(self, url: str = DEFAULT_DB_URL, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writer: _GroupCommit | None = None
        self._writer_lock = threading.Lock()
        if create:
            try:
                migrate(self.engine)
            except SQLAlchemyError as ex:
                raise AuditError(
                    f"audit database {self.safe_url} is unreachable: {_short(ex)}"
                ) from None

    @property
    def safe_url(self) -> str:
        """The URL without its password (for messages and logs)."""
        return self.engine.url.render_as_string(hide_password=True)

    def write(self, record: AuditRecord) -> None:
        """Insert ``record`` and commit.

        Raises:
            AuditError: the database could not be written.
        """
        try:
            with self.engine.begin() as connection:
                connection.execute(audit_log.insert().values(**record.row()))
        except SQLAlchemyError as ex:
            raise AuditError(f"audit database {self.safe_url} write failed: {_short(ex)}") from None

    def write_many(self, records: list[AuditRecord]) -> None:
        """Insert ``records`` in one transaction and commit (all or none).

        Raises:
            AuditError: the database could not be written.
        """
        try:
            with self.engine.begin() as connection:
                connection.execute(audit_log.insert(), [r.row() for r in records])
        except SQLAlchemyError as ex:
            raise AuditError(f"audit database {self.safe_url} write failed: {_short(ex)}") from None

    async def write_async(self, record: AuditRecord) -> None:
        """Queue ``record`` for the writer thread; return once its batch is committed.

        Raises:
            AuditError: the database could not be written.
        """
        with self._writer_lock:
            if self._writer is None:
                self._writer = _GroupCommit(self)
        await asyncio.wrap_future(self._writer.submit(record))

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(audit_log)).scalar_one())

    def query(
        self,
        outcome: str | None = None,
        since: datetime | None = None,
        escalated: bool | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Rows, oldest first, filtered by outcome, time and the escalation flag."""
        statement = select(audit_log).order_by(audit_log.c.id)
        if outcome is not None:
            statement = statement.where(audit_log.c.outcome == outcome)
        if since is not None:
            statement = statement.where(audit_log.c.created_at >= since)
        if escalated is not None:
            statement = statement.where(audit_log.c.escalated == escalated)
        if limit is not None:
            statement = statement.limit(limit)
        try:
            with self.engine.connect() as connection:
                for row in connection.execute(statement).mappings():
                    yield dict(row)
        except SQLAlchemyError as ex:
            raise AuditError(f"audit database {self.safe_url} read failed: {_short(ex)}") from None

    def close(self) -> None:
        with self._writer_lock:
            if self._writer is not None:
                self._writer.stop()
                self._writer = None
        self.engine.dispose()


class _GroupCommit:
    """A thread that commits queued records in batches (at most ``max_batch`` a transaction)."""

    def __init__(self, log: AuditLog, max_batch: int = 256) -> None:
        self.log = log
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[
            tuple[AuditRecord, concurrent.futures.Future[None]] | None
        ] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="alignlab-audit", daemon=True)
        self._thread.start()

    def submit(self, record: AuditRecord) -> concurrent.futures.Future[None]:
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._queue.put((record, future))
        return future

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._commit(batch)
                    return
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[tuple[AuditRecord, concurrent.futures.Future[None]]]) -> None:
        try:
            self.log.write_many([record for record, _ in batch])
            outcomes: list[AuditError | None] = [None] * len(batch)
        except AuditError:
            outcomes = []
            for record, _ in batch:  # one bad row must not fail the others
                try:
                    self.log.write(record)
                    outcomes.append(None)
                except AuditError as ex:
                    outcomes.append(ex)
        except Exception as ex:  # noqa: BLE001 - never leave a caller waiting
            outcomes = [AuditError(f"audit write failed: {type(ex).__name__}: {ex}")] * len(batch)
        for (_, future), error in zip(batch, outcomes, strict=True):
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)


def _short(ex: Exception) -> str:
    return str(ex).strip().splitlines()[0][:300]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def export(rows: Iterator[Mapping[str, Any]], out: IO[str], fmt: str) -> int:
    """Write ``rows`` as ``jsonl`` or ``csv`` (JSON columns as JSON text); returns the row count."""
    if fmt not in ("jsonl", "csv"):
        raise AlignlabError(f"unknown export format '{fmt}'; use jsonl or csv")
    count = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in rows:
        plain = {k: _plain(row.get(k)) for k in COLUMNS}
        if writer is None:
            out.write(json.dumps(plain, ensure_ascii=False) + "\n")
        else:
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in plain.items()}
            )
        count += 1
    return count


def export_file(log: AuditLog, path: Path, fmt: str, **filters: Any) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        return export(log.query(**filters), out, fmt)
