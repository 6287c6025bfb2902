"""Bulk inserts that skip duplicates (``ON CONFLICT DO NOTHING``) on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from ..db import TenantModel, TenantViolation
from ..tenancy import current_municipality_id


def insert_ignore(session: Session, model: type, rows: list[dict]) -> int:
    if not rows:
        return 0
    if issubclass(model, TenantModel):
        mid = current_municipality_id()
        if mid is None:
            raise TenantViolation(f"{model.__name__} rows written without a current municipality")
        rows = [{**row, "municipality_id": mid} for row in rows]
    table = model.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(table).on_conflict_do_nothing(), rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)
