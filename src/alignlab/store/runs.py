"""The run index: one row per finished eval, with its metrics and their confidence intervals.

Rows are written by :func:`register` (the runner calls it after every eval
set; ``alignlab runs --add DIR`` indexes logs written before) and read by
:func:`find_runs` and :func:`get_run`. An eval is identified by Inspect's
``eval_id``: registering the same log again replaces its row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from alignlab.store.db import Base, StoreError, engine_for


class Run(Base):
    """One finished eval (one task on one model) and where its log is."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    eval_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    model: Mapped[str] = mapped_column(String(512), index=True)
    task: Mapped[str] = mapped_column(String(256), index=True)
    family: Mapped[str | None] = mapped_column(String(128))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    intervention: Mapped[str] = mapped_column(String(512))
    recipe: Mapped[str | None] = mapped_column(String(256))
    data: Mapped[str] = mapped_column(String(512))
    dataset_hash: Mapped[str] = mapped_column(String(64))
    package_version: Mapped[str] = mapped_column(String(64))
    inspect_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    n_samples: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    log_path: Mapped[str] = mapped_column(Text)
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    metrics: Mapped[list[Metric]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Metric.id"
    )


class Metric(Base):
    """One metric of a run (one subset, prompt variant and calibration) with its 95% CI."""

    __tablename__ = "run_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    subset: Mapped[str] = mapped_column(String(256))
    metric: Mapped[str] = mapped_column(String(256))
    variant: Mapped[str] = mapped_column(String(128))
    calibration: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    chance: Mapped[float | None] = mapped_column(Float)
    unparsed_rate: Mapped[float | None] = mapped_column(Float)
    run: Mapped[Run] = relationship(back_populates="metrics")


@dataclass(frozen=True)
class MetricRecord:
    """A metric as stored (NaN is stored as NULL and read back as None)."""

    subset: str
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    chance: float | None = None
    unparsed_rate: float | None = None
    variant: str = "default"
    calibration: str = "none"


@dataclass(frozen=True)
class RunRecord:
    """A run as stored in, or read from, the index."""

    eval_id: str
    model: str
    task: str
    family: str | None
    args: dict[str, Any]
    intervention: str
    recipe: str | None
    data: str
    dataset_hash: str
    package_version: str
    inspect_version: str
    status: str
    n_samples: int
    created: datetime
    log_path: str
    metrics: tuple[MetricRecord, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The record as JSON-ready values (dates in ISO 8601)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "metrics"}
        out["created"] = self.created.isoformat()
        out["metrics"] = [m.__dict__ for m in self.metrics]
        return out


def register(records: Iterable[RunRecord], url: str | None = None) -> int:
    """Insert ``records``, replacing rows with the same ``eval_id``; returns how many.

    Raises:
        StoreError: the index cannot be opened or written.
    """
    engine = engine_for(url)
    count = 0
    try:
        with Session(engine) as session, session.begin():
            for record in records:
                session.execute(delete(Run).where(Run.eval_id == record.eval_id))
                session.flush()
                session.add(_row(record))
                count += 1
    except StoreError:
        raise
    except Exception as ex:
        raise StoreError(f"Cannot write to the run index: {type(ex).__name__}: {ex}") from None
    return count


def find_runs(
    url: str | None = None,
    *,
    model: str | None = None,
    task: str | None = None,
    since: datetime | None = None,
) -> list[RunRecord]:
    """Indexed runs, oldest first; ``model`` and ``task`` match substrings, ``since`` a time."""
    query = select(Run).order_by(Run.created, Run.id)
    if model:
        query = query.where(Run.model.contains(model, autoescape=True))
    if task:
        query = query.where(Run.task.contains(task, autoescape=True))
    if since is not None:
        query = query.where(Run.created >= _utc(since))
    with Session(engine_for(url)) as session:
        return [_record(r) for r in session.scalars(query)]


def get_run(run_id: str, url: str | None = None) -> RunRecord:
    """The run whose ``eval_id`` is ``run_id`` or starts with it (at least 4 characters).

    Raises:
        StoreError: no run, or several runs, match.
    """
    if len(run_id) < 4:
        raise StoreError(f"Run id '{run_id}' is too short: give at least 4 characters.")
    pattern = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(Run).where(Run.eval_id.like(pattern, escape="\\")).limit(3)
    with Session(engine_for(url)) as session:
        found = [_record(r) for r in session.scalars(query)]
    if not found:
        raise StoreError(
            f"No run '{run_id}' in the run index. `alignlab runs` lists the indexed runs; "
            "`alignlab runs --add LOGDIR` indexes older logs."
        )
    if len(found) > 1:
        raise StoreError(
            f"Run id '{run_id}' is ambiguous ({', '.join(r.eval_id for r in found)}, ...): "
            "give more characters."
        )
    return found[0]


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _none_if_nan(x: float | None) -> float | None:
    return None if x is None or x != x else float(x)


def _row(record: RunRecord) -> Run:
    return Run(
        eval_id=record.eval_id,
        model=record.model,
        task=record.task,
        family=record.family,
        args=json.loads(json.dumps(record.args, default=str)),
        intervention=record.intervention,
        recipe=record.recipe,
        data=record.data,
        dataset_hash=record.dataset_hash,
        package_version=record.package_version,
        inspect_version=record.inspect_version,
        status=record.status,
        n_samples=record.n_samples,
        created=_utc(record.created),
        log_path=record.log_path,
        indexed_at=datetime.now(UTC),
        metrics=[
            Metric(
                subset=m.subset,
                metric=m.metric,
                variant=m.variant,
                calibration=m.calibration,
                value=_none_if_nan(m.value),
                ci_low=_none_if_nan(m.ci_low),
                ci_high=_none_if_nan(m.ci_high),
                n=m.n,
                chance=_none_if_nan(m.chance),
                unparsed_rate=_none_if_nan(m.unparsed_rate),
            )
            for m in record.metrics
        ],
    )


def _record(row: Run) -> RunRecord:
    return RunRecord(
        eval_id=row.eval_id,
        model=row.model,
        task=row.task,
        family=row.family,
        args=dict(row.args or {}),
        intervention=row.intervention,
        recipe=row.recipe,
        data=row.data,
        dataset_hash=row.dataset_hash,
        package_version=row.package_version,
        inspect_version=row.inspect_version,
        status=row.status,
        n_samples=row.n_samples,
        created=_utc(row.created),
        log_path=row.log_path,
        metrics=tuple(
            MetricRecord(
                subset=m.subset,
                metric=m.metric,
                value=m.value,
                ci_low=m.ci_low,
                ci_high=m.ci_high,
                n=m.n,
                chance=m.chance,
                unparsed_rate=m.unparsed_rate,
                variant=m.variant,
                calibration=m.calibration,
            )
            for m in row.metrics
        ),
    )


__all__: Sequence[str] = [
    "Metric",
    "MetricRecord",
    "Run",
    "RunRecord",
    "find_runs",
    "get_run",
    "register",
]
