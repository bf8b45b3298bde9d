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


def driver_instant(dialect: str, value: datetime) -> datetime | str:
    """An instant as ``UtcDateTime`` hands it to the driver of ``dialect``, for
    statements run on the driver itself: SQLite's stored text, else aware UTC."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
    text = _sqlite_instant(value) if dialect == "sqlite" else None
    return text if text is not None else value.astimezone(UTC)


def insert_many(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, skip_existing: bool = False
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``; with
    ``skip_existing``, keep the rows already there instead of failing."""
    if not rows:
        return
    names = list(rows[0])
    if conn.dialect.name not in ("sqlite", "postgresql") or (
        skip_existing and conn.dialect.name != "sqlite"
    ):
        conn.execute(_insert(conn, table, skip_existing), list(rows))
        return
    insert_rows(conn, table, names, [tuple(row[n] for n in names) for row in rows], skip_existing)


def insert_rows(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    skip_existing: bool = False,
) -> None:
    """Insert ``rows``, each a tuple of the values of ``names`` in that order, as
    one statement: one ``executemany`` on SQLite, one ``COPY`` on PostgreSQL."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and not skip_existing:
        _copy(conn, table, names, rows)
        return
    if conn.dialect.name != "sqlite":
        conn.execute(
            _insert(conn, table, skip_existing), [dict(zip(names, r, strict=True)) for r in rows]
        )
        return
    instants = [i for i, name in enumerate(names) if isinstance(table.c[name].type, UtcDateTime)]
    flags = [i for i, name in enumerate(names) if isinstance(table.c[name].type, Boolean)]
    placeholders = ", ".join("?" for _ in names)
    keep = " ON CONFLICT DO NOTHING" if skip_existing else ""
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}){keep}"
    if instants or flags:
        formatted: dict[datetime, str | None] = {}  # a batch repeats its capture time
        rows = [_sqlite_row(row, instants, flags, formatted) for row in rows]
    conn.exec_driver_sql(sql, rows)


def _copy(
    conn: Connection, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN`` in the connection's transaction: one
    statement for the whole batch, values adapted by psycopg (aware datetimes go
    as timestamptz, so only naive ones are refused here)."""
    instants = [i for i, name in enumerate(names) if isinstance(table.c[name].type, UtcDateTime)]
    for row in rows:
        for i in instants:
            value = row[i]
            if value is not None and value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
    raw = conn.connection.driver_connection
    assert raw is not None
    command = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(command) as copy:
        for row in rows:
            copy.write_row(row)


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
    row: Sequence[Any],
    instants: list[int],
    flags: list[int],
    formatted: dict[datetime, str | None],
) -> tuple[Any, ...]:
    values = list(row)
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
