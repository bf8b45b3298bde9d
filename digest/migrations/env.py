"""Alembic environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from digest.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line, e.g. to autogenerate a revision
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
