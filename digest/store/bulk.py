"""Fast multi-row inserts.

SQLAlchemy processes every bound value of an executemany in Python; for the
tens of thousands of rows of a large snapshot that costs more than SQLite's
own work. On SQLite this module formats the values once, exactly as
``UtcDateTime`` stores them, and hands the driver plain tuples. Other
backends take SQLAlchemy's own (already batched) path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Table

from digest.store.schema import UtcDateTime


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def _as_is(value: Any) -> Any:
    return value


def _converter(column_type: Any) -> Callable[[Any], Any]:
    if isinstance(column_type, UtcDateTime):
        return _sqlite_instant
    if isinstance(column_type, Boolean):
        return lambda v: None if v is None else int(bool(v))
    return _as_is


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    convert = [(name, _converter(table.c[name].type)) for name in names]
    placeholders = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"
    conn.exec_driver_sql(sql, [tuple(fn(row[name]) for name, fn in convert) for row in rows])
