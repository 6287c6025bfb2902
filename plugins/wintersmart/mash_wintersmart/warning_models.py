"""Tables of warnings and signs (prefix ``wintersmart_``): the warning state per road segment
with its history, signs, sign commands (audit trail of every command with its acknowledgement)
and manual operator overrides. Imported by :mod:`.models`."""

from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Warning(TenantModel, table=True):
    """One period of one warning level on one road segment. The active warning of a segment has
    ``valid_until`` None; a level change closes it and opens the next (the history)."""

    __tablename__ = "wintersmart_warning"
    __table_args__ = (sa.Index("ix_wintersmart_warning_segment_from", "road_segment_id", "valid_from"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    road_segment_id: int = Field(foreign_key="wintersmart_road_segment.id")
    level: int = Field(sa_type=sa.SmallInteger)
    reasons: list = Field(default_factory=list, sa_type=sa.JSON)
    valid_from: datetime
    #: None while the warning is active
    valid_until: Optional[datetime] = None
    #: "auto" (from the segment's assessments) or "manual" (an operator)
    source: str = Field(default="auto", max_length=10)
    #: the warning this one followed without a gap (CAP msgType Update)
    previous_id: Optional[int] = Field(default=None, foreign_key="wintersmart_warning.id")
    #: when the operators were told (once per rise to level 2)
    notified_at: Optional[datetime] = None
    created_by: Optional[str] = Field(default=None, max_length=200)


class Sign(TenantModel, table=True):
    """A warning sign (LED pictogram, prism, DMS) on a road segment."""

    __tablename__ = "wintersmart_sign"
    __table_args__ = (UniqueConstraint("municipality_id", "key", name="uq_wintersmart_sign_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: stable id used in MQTT topics (``wintersmart/signs/<key>/set``)
    key: str = Field(max_length=120)
    name: str = Field(default="", max_length=200)
    lat: Optional[float] = None
    lon: Optional[float] = None
    road_segment_id: Optional[int] = Field(default=None, foreign_key="wintersmart_road_segment.id", index=True)
    #: lowest segment level at which the sign shows the warning
    min_level: int = Field(default=1, sa_type=sa.SmallInteger)
    created_at: datetime = Field(default_factory=utcnow)


class SignCommand(TenantModel, table=True):
    """A command sent to a sign: idempotency key, content, expiry, acknowledgement, origin."""

    __tablename__ = "wintersmart_sign_command"
    __table_args__ = (UniqueConstraint("municipality_id", "command_id", name="uq_wintersmart_sign_command_id"),
                      sa.Index("ix_wintersmart_sign_command_sign", "sign_id", "issued_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    command_id: str = Field(max_length=64)
    #: what makes two commands "the same state" (sign, content, text, origin)
    state_key: str = Field(max_length=400)
    sign_id: int = Field(foreign_key="wintersmart_sign.id")
    #: pictogram code ("VZ101-51") or "blank"
    content: str = Field(max_length=40)
    text: str = Field(default="", max_length=200)
    level: int = Field(default=0, sa_type=sa.SmallInteger)
    priority: int = Field(default=50, sa_type=sa.SmallInteger)
    driver: str = Field(max_length=40)
    issued_at: datetime = Field(default_factory=utcnow)
    valid_until: datetime
    #: pending (sent, waiting for the ack) | sent (driver without readback) | acked | failed |
    #: expired | superseded
    status: str = Field(default="pending", max_length=20)
    acked_at: Optional[datetime] = None
    error: Optional[str] = Field(default=None, max_length=200)
    #: auto:warning:<id> | auto:clear | manual:<user>
    origin: str = Field(max_length=240)


class SignOverride(TenantModel, table=True):
    """A manual operator override of a sign until a time; automation is suppressed meanwhile."""

    __tablename__ = "wintersmart_sign_override"
    __table_args__ = (sa.Index("ix_wintersmart_sign_override_sign", "sign_id", "until"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    sign_id: int = Field(foreign_key="wintersmart_sign.id")
    content: str = Field(max_length=40)
    text: str = Field(default="", max_length=200)
    until: datetime
    reason: str = Field(default="", max_length=300)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    cleared_at: Optional[datetime] = None
    cleared_by: Optional[str] = Field(default=None, max_length=200)
