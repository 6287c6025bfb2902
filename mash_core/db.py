"""Engine, sessions and the tenant guard that scopes every ORM query to the current municipality.

Plugin code cannot forget the municipality filter: every SELECT, UPDATE and DELETE issued through
the ORM on a :class:`TenantModel` gets ``municipality_id = <current>`` added, and every new row is
stamped with the current municipality. Without a current municipality such queries match nothing.
"""

from __future__ import annotations

from typing import Optional

from flask import g, has_app_context, current_app
from sqlalchemy import event, create_engine, false
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession, with_loader_criteria
from sqlmodel import Field, Session, SQLModel

from .tenancy import current_municipality_id


class TenantModel(SQLModel):
    """Base for every municipality-owned table; the core fills and filters ``municipality_id``."""

    municipality_id: Optional[int] = Field(default=None, foreign_key="core_municipality.id", index=True)


class TenantViolation(RuntimeError):
    """A row of one municipality was about to be written while another one is current."""


#: execution option that lifts the tenant guard; only core code that works across
#: municipalities (admin of municipalities, CLI) uses it, never plugins.
UNSCOPED = {"mash_unscoped": True}


_tenant_classes: tuple[type, ...] = ()
_mapper_count = -1


def tenant_classes() -> tuple[type, ...]:
    """Every mapped TenantModel subclass (recomputed only when new mappers appear)."""
    global _tenant_classes, _mapper_count
    mappers = SQLModel._sa_registry.mappers
    if len(mappers) != _mapper_count:
        _tenant_classes = tuple(m.class_ for m in mappers if issubclass(m.class_, TenantModel))
        _mapper_count = len(mappers)
    return _tenant_classes


def _criteria(cls, mid):
    # one option per mapped class: a criteria on the unmapped mixin cannot be built with SQLModel
    if mid is None:
        return with_loader_criteria(cls, lambda c: false(), include_aliases=True)
    return with_loader_criteria(cls, lambda c: c.municipality_id == mid, include_aliases=True)


@event.listens_for(OrmSession, "do_orm_execute")
def _scope_to_municipality(state) -> None:
    if state.execution_options.get("mash_unscoped"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    mid = current_municipality_id()
    state.statement = state.statement.options(*(_criteria(cls, mid) for cls in tenant_classes()))


@event.listens_for(OrmSession, "before_flush")
def _stamp_municipality(session, flush_context, instances) -> None:
    mid = current_municipality_id()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantModel):
            continue
        if obj.municipality_id is None:
            if mid is None:
                raise TenantViolation(f"{type(obj).__name__} written without a current municipality")
            obj.municipality_id = mid
        elif mid is not None and obj.municipality_id != mid:
            raise TenantViolation(
                f"{type(obj).__name__} of municipality {obj.municipality_id} written as {mid}"
            )


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def get_engine() -> Engine:
    return current_app.extensions["mash"].engine


def get_session() -> Session:
    """The request's (or app context's) session; committed by the caller, closed at teardown."""
    if "mash_session" not in g:
        g.mash_session = Session(get_engine(), expire_on_commit=False)
    return g.mash_session


def close_session(_exc=None) -> None:
    if has_app_context():
        session = g.pop("mash_session", None)
        if session is not None:
            session.close()
