"""Fast multi-row inserts.

SQLAlchemy processes every bound value of an executemany in Python; for the
tens of thousands of rows of a large snapshot that costs more than SQLite's
own work. On SQLite this module formats the values once, exactly as
``UtcDateTime`` stores them, and hands the driver plain tuples. On
PostgreSQL a plain insert is one ``COPY``; other backends, and inserts that
keep existing rows, take SQLAlchemy's own (already batched) path. With
``skip_existing``, rows whose primary key is already there are left as they
are (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Table

from digest.errors import StoreError
from digest.store.schema import UtcDateTime


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
    if value.utcoffset():
        value = value.astimezone(UTC)
    # The layout SQLAlchemy's SQLite DATETIME writes: "2026-01-21 09:00:00.000000".
    return value.isoformat(" ", "microseconds")[:26]


def insert_many(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, skip_existing: bool = False
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``; with
    ``skip_existing``, keep the rows already there instead of failing."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and not skip_existing:
        _copy(conn, table, rows)
        return
    if conn.dialect.name != "sqlite":
        conn.execute(_insert(conn, table, skip_existing), list(rows))
        return
    names = list(rows[0])
    instants = [i for i, name in enumerate(names) if isinstance(table.c[name].type, UtcDateTime)]
    flags = [i for i, name in enumerate(names) if isinstance(table.c[name].type, Boolean)]
    placeholders = ", ".join("?" for _ in names)
    keep = " ON CONFLICT DO NOTHING" if skip_existing else ""
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}){keep}"
    formatted: dict[datetime, str | None] = {}  # a batch repeats its capture time in every row
    conn.exec_driver_sql(sql, [_sqlite_row(row, names, instants, flags, formatted) for row in rows])


def _copy(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN`` in the connection's transaction: one
    statement for the whole batch, values adapted by psycopg (aware datetimes go
    as timestamptz, so only naive ones are refused here)."""
    names = list(rows[0])
    instants = [name for name in names if isinstance(table.c[name].type, UtcDateTime)]
    for row in rows:
        for name in instants:
            value = row[name]
            if value is not None and value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
    raw = conn.connection.driver_connection
    assert raw is not None
    command = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(command) as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def _insert(conn: Connection, table: Table, skip_existing: bool) -> Any:
    if not skip_existing:
        return table.insert()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    raise StoreError(
        f"database {conn.dialect.name}: cannot insert into {table.name} keeping existing rows; "
        "use SQLite or PostgreSQL"
    )


def _sqlite_row(
    row: dict[str, Any],
    names: list[str],
    instants: list[int],
    flags: list[int],
    formatted: dict[datetime, str | None],
) -> tuple[Any, ...]:
    values = [row[name] for name in names]
    for i in instants:
        value = values[i]
        if value is not None:
            text = formatted.get(value)
            if text is None:
                text = formatted[value] = _sqlite_instant(value)
            values[i] = text
    for i in flags:
        values[i] = None if values[i] is None else int(bool(values[i]))
    return tuple(values)
