"""The audit log on SQLite (WAL) and on a real PostgreSQL server: write, query, export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from alignlab.store.audit import AuditError, AuditLog, AuditRecord, export
from pg_cluster import pg_bindir, postgres_cluster


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
    with postgres_cluster() as (url, _, _):
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def audit(request: pytest.FixtureRequest, tmp_path) -> Iterator[AuditLog]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    log = AuditLog(url)
    with log.engine.begin() as connection:  # one cluster serves every PostgreSQL test
        connection.execute(text("DELETE FROM audit_log"))
    yield log
    log.close()


def record(request_id: str, outcome: str = "allow", **fields: object) -> AuditRecord:
    return AuditRecord(
        request_id=request_id,
        bundle_digest="ab" * 32,
        model="m",
        client="addr:127.0.0.1",
        outcome=outcome,
        request_action=outcome,
        features={"request": {"toxicity": 0.25, "pii_types": ["EMAIL_ADDRESS"]}},
        latency_ms=1.5,
        **fields,  # type: ignore[arg-type]
    )


def test_write_then_query_with_filters(audit: AuditLog) -> None:
    audit.write(record("r1"))
    audit.write(record("r2", "deny", reason="the message is abusive"))
    audit.write(record("r3", "escalate", escalated=True))
    assert audit.count() == 3
    assert [r["request_id"] for r in audit.query()] == ["r1", "r2", "r3"]
    denied = list(audit.query(outcome="deny"))
    assert [(r["request_id"], r["reason"]) for r in denied] == [("r2", "the message is abusive")]
    assert [r["request_id"] for r in audit.query(escalated=True)] == ["r3"]
    assert list(audit.query(since=datetime.now(UTC) + timedelta(hours=1))) == []
    first = next(audit.query(limit=1))
    assert first["features"]["request"]["pii_types"] == ["EMAIL_ADDRESS"]
    assert first["prompt"] is None


def test_request_ids_are_unique(audit: AuditLog) -> None:
    audit.write(record("same"))
    with pytest.raises(AuditError, match="write failed"):
        audit.write(record("same"))


def test_export_jsonl_and_csv(audit: AuditLog) -> None:
    audit.write(record("r1", prompt="hello"))
    audit.write(record("r2", "deny"))
    lines = io.StringIO()
    assert export(audit.query(), lines, "jsonl") == 2
    rows = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert rows[0]["prompt"] == "hello" and rows[1]["outcome"] == "deny"
    table = io.StringIO()
    export(audit.query(), table, "csv")
    read = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert [r["request_id"] for r in read] == ["r1", "r2"]
    assert json.loads(read[0]["features"])["request"]["toxicity"] == 0.25


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = AuditLog(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with log.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_stopped_postgres_fails_writes_then_recovers() -> None:
    if pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed")
    with postgres_cluster() as (url, pg_ctl, prefix):
        log = AuditLog(url)
        log.write(record("before"))
        data = subprocess.run(
            [*prefix, "psql", url, "-Atc", "SHOW data_directory"], capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(
            [*prefix, str(pg_ctl), "-D", data, "-m", "fast", "stop"],
            check=True,
            capture_output=True,
        )
        with pytest.raises(AuditError, match="write failed"):
            log.write(record("during"))
        port = url.rsplit(":", 1)[1].split("/")[0]
        options = f"-p {port} -k {data}/.. -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [
                *prefix,
                str(pg_ctl),
                "-D",
                data,
                "-o",
                options,
                "-w",
                "-l",
                f"{data}/../log2",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        log.write(record("after"))
        assert [r["request_id"] for r in log.query()] == ["before", "after"]
        log.close()


def test_migrations_build_exactly_the_declared_schema(audit: AuditLog) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from alignlab.store.audit import metadata

    with audit.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == "0001"


def test_audit_cli_exports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from alignlab.cli import app

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    log = AuditLog(url)
    log.write(record("r1"))
    log.write(record("r2", "deny", reason="abusive"))
    out = tmp_path / "denied.csv"
    result = CliRunner().invoke(
        app, ["audit", "--db", url, "--outcome", "deny", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [(r["request_id"], r["reason"]) for r in rows] == [("r2", "abusive")]
    result = CliRunner().invoke(app, ["audit", "--db", url, "--since", "yesterday"])
    assert result.exit_code == 2 and "ISO time" in result.output
