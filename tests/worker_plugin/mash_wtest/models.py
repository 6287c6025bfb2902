"""Tables of the worker test plugin (prefix ``wtest_``)."""

from typing import Optional

from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel


class Obs(TenantModel, table=True):
    """One observation from ``mash/<municipality>/wtest/obs/<sensor>``; (sensor, seq) is the
    message's identity, so a redelivered message is skipped by the unique key."""

    __tablename__ = "wtest_obs"
    __table_args__ = (UniqueConstraint("municipality_id", "sensor", "seq"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    sensor: str = Field(max_length=64)
    seq: int
    value: float
    #: publisher's clock when sent (optional), the worker's when received and when stored
    sent_at: Optional[float] = None
    received_at: float
    stored_at: float


class Tick(TenantModel, table=True):
    """One row per run of the ``tick`` job (``run_id`` is the ``core_job_run`` row)."""

    __tablename__ = "wtest_tick"

    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: Optional[int] = None
    worker: str = Field(default="", max_length=200)
    at: float


class EventSeen(TenantModel, table=True):
    """One row per ``wtest.alarm`` event handled in-process."""

    __tablename__ = "wtest_event_seen"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    payload: str = Field(default="", max_length=2000)
