"""Bulk inserts that skip duplicates (``ON CONFLICT DO NOTHING``) on SQLite and PostgreSQL.

SQLite gets one ``executemany`` (its C loop is fast). PostgreSQL gets a single statement that
unnests one array per column — one round trip and no per-row work in the driver, several
times faster than psycopg's per-row pipeline — whenever the rows all have the same keys and
no left-out column has a Python-side default; otherwise ``executemany`` as well.
"""

from __future__ import annotations

from sqlalchemy import JSON, bindparam, text
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
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        unnest = _unnest_statement(table, rows, dialect)
        if unnest is not None:
            statement, columns = unnest
            params = {}
            for i, column in enumerate(columns):
                values = [row[column.name] for row in rows]
                process = column.type.bind_processor(dialect)  # what executemany would apply
                params[f"c{i}"] = [None if v is None else process(v) for v in values] if process else values
            return session.execute(statement, params).rowcount
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    result = session.execute(insert(table).on_conflict_do_nothing(), rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def _unnest_statement(table, rows: list[dict], dialect):
    """(``INSERT … SELECT * FROM unnest(CAST(:c0 AS type[]), …) ON CONFLICT DO NOTHING``,
    its columns), or None when the rows do not allow it."""
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        return None
    columns = []
    for column in table.columns:
        if column.name in keys:
            if isinstance(column.type, JSON):
                return None  # psycopg cannot put dicts into an array parameter
            columns.append(column)
        elif column.default is not None:  # the generic path applies Python-side defaults
            return None
    if len(columns) != len(keys):
        return None  # a key that is not a column: let the generic path raise
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(c.name) for c in columns)
    arrays = ", ".join(f"CAST(:c{i} AS {c.type.compile(dialect=dialect)}[])" for i, c in enumerate(columns))
    statement = text(f"INSERT INTO {preparer.format_table(table)} ({names}) "
                     f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING")
    statement = statement.bindparams(*(bindparam(f"c{i}") for i in range(len(columns))))
    return statement, columns
