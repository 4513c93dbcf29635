"""The audit log's group commit: every queued record committed, one bad row fails only itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alignlab.store.audit import AuditError, AuditLog, AuditRecord


def _record(request_id: str) -> AuditRecord:
    return AuditRecord(
        request_id=request_id, bundle_digest="d" * 64, model="m", client="c", outcome="allow"
    )


def test_concurrent_writes_are_all_committed_and_a_duplicate_fails_alone(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    log.write(_record("taken"))

    async def main() -> list[BaseException | None]:
        ids = [f"r{i}" for i in range(40)] + ["taken"]
        return await asyncio.gather(
            *(log.write_async(_record(i)) for i in ids), return_exceptions=True
        )

    outcomes = asyncio.run(main())
    assert outcomes[:40] == [None] * 40
    assert isinstance(outcomes[40], AuditError)
    assert log.count() == 41  # "taken" once, r0..r39
    log.close()


def test_an_unwritable_database_fails_the_waiting_request(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    with log.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE audit_log")
    with pytest.raises(AuditError, match="write failed"):
        asyncio.run(log.write_async(_record("x")))
    log.close()
