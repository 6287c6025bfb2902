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
from sqlalchemy.sql.util import find_tables
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
_class_of_table: dict = {}
_mapper_count = -1
_options: dict = {}


def tenant_classes() -> tuple[type, ...]:
    """Every mapped TenantModel subclass (recomputed only when new mappers appear)."""
    global _tenant_classes, _class_of_table, _mapper_count
    registry = SQLModel._sa_registry
    count = len(registry._managers)  # cheap; ``registry.mappers`` builds a set on every call
    if count != _mapper_count:
        _tenant_classes = tuple(m.class_ for m in registry.mappers if issubclass(m.class_, TenantModel))
        # by name: comparing (annotated) Table objects builds SQL expressions instead
        _class_of_table = {cls.__table__.fullname: cls for cls in _tenant_classes}
        _mapper_count = count
        _options.clear()
        _involved_by_shape.clear()
    return _tenant_classes


def _criteria(cls, mid):
    """The filter option for one class and municipality, built once and reused (options are
    immutable); a criteria on the unmapped mixin itself cannot be built with SQLModel."""
    key = (cls, mid)
    option = _options.get(key)
    if option is None:
        # plain expressions, not lambdas: a lambda's closure is re-inspected on every execution
        criterion = false() if mid is None else cls.municipality_id == mid
        option = with_loader_criteria(cls, criterion, include_aliases=True)
        _options[key] = option
    return option


_involved_by_shape: dict = {}


def _involved(statement) -> list[type]:
    """The tenant classes whose tables the statement touches (FROM, joins, subqueries);
    filtering only those keeps the guard cheap however many plugins are installed. The answer
    is remembered per statement shape (SQLAlchemy's cache key, which it computes anyway)."""
    tenant_classes()
    cache_key = statement._generate_cache_key()
    if cache_key is None:
        return _find_involved(statement)
    found = _involved_by_shape.get(cache_key.key)
    if found is None:
        if len(_involved_by_shape) > 10_000:
            _involved_by_shape.clear()
        found = _involved_by_shape[cache_key.key] = _find_involved(statement)
    return found


def _find_involved(statement) -> list[type]:
    found = []
    for table in find_tables(statement, include_aliases=True, include_joins=True, include_selects=True,
                             include_crud=True):
        while not hasattr(table, "fullname") and hasattr(table, "element"):  # alias → its table
            table = table.element
        cls = _class_of_table.get(getattr(table, "fullname", None))
        if cls is not None:
            found.append(cls)
    return found


@event.listens_for(OrmSession, "do_orm_execute")
def _scope_to_municipality(state) -> None:
    if state.execution_options.get("mash_unscoped"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    mid = current_municipality_id()
    classes = dict.fromkeys(_involved(state.statement))
    if classes:
        state.statement = state.statement.options(*(_criteria(cls, mid) for cls in classes))


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
