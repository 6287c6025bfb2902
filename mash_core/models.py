"""Core tables (prefix ``core_``). Municipality-owned rows derive from :class:`TenantModel`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Column, JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .db import TenantModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Municipality(SQLModel, table=True):
    __tablename__ = "core_municipality"

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=200)
    #: host names (comma separated) that select this municipality
    hosts: str = Field(default="", max_length=1000)
    is_default: bool = Field(default=False)
    logo_url: str = Field(default="", max_length=500)
    primary_color: str = Field(default="#8a1538", max_length=7)
    accent_color: str = Field(default="#1d4f91", max_length=7)
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=50)
    address: str = Field(default="", max_length=300)
    #: bumped on every change of plugin state, settings or branding; web workers compare it
    #: on each request and reload their cached view of the municipality when it moved.
    state_version: int = Field(default=1)

    def host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.hosts.split(",") if h.strip()]


class District(TenantModel, table=True):
    __tablename__ = "core_district"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)


class PluginState(TenantModel, table=True):
    __tablename__ = "core_plugin_state"
    __table_args__ = (UniqueConstraint("municipality_id", "slug"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64)
    enabled: bool = Field(default=False)
    changed_at: datetime = Field(default_factory=utcnow)


class PluginSetting(TenantModel, table=True):
    __tablename__ = "core_plugin_setting"
    __table_args__ = (UniqueConstraint("municipality_id", "slug", "key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64)
    key: str = Field(max_length=100)
    value: Optional[str] = Field(default=None, sa_column=Column(JSON))
    changed_at: datetime = Field(default_factory=utcnow)


class PluginError(SQLModel, table=True):
    """The last error a plugin raised in a hook or slot item (one row per plugin and place)."""

    __tablename__ = "core_plugin_error"
    __table_args__ = (UniqueConstraint("slug", "place"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, index=True)
    place: str = Field(max_length=200)
    message: str = Field(sa_column=Column(Text))
    at: datetime = Field(default_factory=utcnow)
    count: int = Field(default=1)


class User(TenantModel, table=True):
    __tablename__ = "core_user"
    __table_args__ = (UniqueConstraint("municipality_id", "email"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=300)
    locale: str = Field(default="de", max_length=5)
    active: bool = Field(default=True)
    confirmed_at: Optional[datetime] = None
    created_at: datetime = Field(default_factory=utcnow)
    #: bumped on password change / logout-everywhere; sessions carrying an older value end
    session_epoch: int = Field(default=1)


class UserRole(TenantModel, table=True):
    __tablename__ = "core_user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=64)


class RoleGrant(TenantModel, table=True):
    """Permission granted to a role in one municipality (seeded from manifests, editable)."""

    __tablename__ = "core_role_grant"
    __table_args__ = (UniqueConstraint("municipality_id", "role", "permission"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    role: str = Field(max_length=64)
    permission: str = Field(max_length=128)


class ApiToken(TenantModel, table=True):
    __tablename__ = "core_api_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: Optional[int] = Field(default=None, foreign_key="core_user.id", ondelete="CASCADE")
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16, index=True, unique=True)
    token_hash: str = Field(max_length=128)
    scopes: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: Optional[datetime] = None
    expires_at: Optional[datetime] = None
    revoked: bool = Field(default=False)

    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split() if s]


class LoginAttempt(TenantModel, table=True):
    __tablename__ = "core_login_attempt"

    id: Optional[int] = Field(default=None, primary_key=True)
    #: sha256 of the lower-cased e-mail, so that the throttle table holds no address
    email_hash: str = Field(max_length=64, index=True)
    remote_hash: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    success: bool = Field(default=False)


class AuditEntry(TenantModel, table=True):
    __tablename__ = "core_audit"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: Optional[int] = Field(default=None)
    actor: str = Field(default="", max_length=254)
    action: str = Field(max_length=100, index=True)
    target: str = Field(default="", max_length=300)
    details: Optional[dict] = Field(default=None, sa_column=Column(JSON))


class Feedback(TenantModel, table=True):
    """Accessibility feedback (BITV 2.0 requires a feedback mechanism on the statement)."""

    __tablename__ = "core_feedback"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    page: str = Field(default="", max_length=500)
    message: str = Field(sa_column=Column(Text))
    email: str = Field(default="", max_length=254)
    handled: bool = Field(default=False)


from .worker.models import DeadLetter, JobOverride, JobRun, OutboxMessage, WorkerLease  # noqa: E402,F401
