"""Worker tables: job runs and overrides, dead letters, outbox, leader lease."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, JSON, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..models import utcnow


class JobRun(SQLModel, table=True):
    """One run of one job for one tick. The unique key makes a second run of the same tick
    impossible, whichever worker tries it."""

    __tablename__ = "core_job_run"
    __table_args__ = (
        UniqueConstraint("job_id", "municipality_id", "scheduled_for"),
        # NULLs are distinct in a unique key: global jobs (no municipality) need their own
        Index("uq_core_job_run_global_tick", "job_id", "scheduled_for", unique=True,
              sqlite_where=text("municipality_id IS NULL"), postgresql_where=text("municipality_id IS NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=200, index=True)
    municipality_id: Optional[int] = Field(default=None, index=True)
    scheduled_for: datetime
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: Optional[datetime] = None
    outcome: str = Field(default="running", max_length=20)  # running, ok, error, skipped
    error: Optional[str] = Field(default=None, sa_column=Column(Text))
    worker: str = Field(default="", max_length=200)


class JobOverride(SQLModel, table=True):
    """An admin's pause or schedule override for one job in one municipality."""

    __tablename__ = "core_job_override"
    __table_args__ = (UniqueConstraint("job_id", "municipality_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=200)
    municipality_id: Optional[int] = Field(default=None)
    paused: bool = Field(default=False)
    trigger: Optional[str] = Field(default=None, max_length=20)
    trigger_args: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    changed_at: datetime = Field(default_factory=utcnow)


class DeadLetter(SQLModel, table=True):
    """A message that could not be accepted, kept for inspection (payload size-capped)."""

    __tablename__ = "core_dead_letter"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    topic: str = Field(max_length=500)
    municipality_id: Optional[int] = Field(default=None, index=True)
    payload: bytes = Field(sa_column=Column(LargeBinary))
    size: int = 0
    reason: str = Field(sa_column=Column(Text))


class OutboxMessage(SQLModel, table=True):
    """A message to publish, written in the same transaction as the change it announces."""

    __tablename__ = "core_outbox"

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    topic: str = Field(max_length=500)
    payload: bytes = Field(sa_column=Column(LargeBinary))
    qos: int = 1
    retain: bool = False
    sent_at: Optional[datetime] = Field(default=None, index=True)
    attempts: int = 0
    last_error: Optional[str] = Field(default=None, max_length=500)


class WorkerLease(SQLModel, table=True):
    """Leader lease for databases without advisory locks (SQLite)."""

    __tablename__ = "core_worker_lease"

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    expires_at: float
