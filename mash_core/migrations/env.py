"""Alembic environment for MAsH: the connection comes from :mod:`mash_core.migrations_runner`."""

from alembic import context
from sqlmodel import SQLModel

import mash_core.models  # noqa: F401  (registers the core tables)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with config.attributes["engine"].begin() as connection:
            _configure(connection)
    else:
        _configure(connection)


def _configure(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run()
