"""Store: items, editions and subscribers in, durable rows out (SQLite or PostgreSQL).

One SQLAlchemy engine over SQLite (default) or PostgreSQL; items are deduped into stories.

``open_store`` creates the database if needed and brings its schema to the
latest Alembic revision, under a lock so that concurrent runs don't race.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    OperationalError,
    SQLAlchemyError,
)

from digest.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_PG_LOCK_KEY = 0x6469676573  # "diges": one advisory lock for schema upgrades


# user:password@ in a URL, even a mistyped one (no "//")
_PASSWORD = re.compile(r"([\w.+%-]+:)[^@\s/]*@")


def mask_password(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def describe_error(exc: SQLAlchemyError) -> str:
    """The database's own reason in one line: no SQL, no "Background on this error"
    link, no password."""
    reason = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig is not None else str(exc)
    reason = reason.split("(Background on this error", 1)[0]
    reason = " ".join(reason.split("\n[SQL:", 1)[0].split())
    if type(exc) is DatabaseError or "malformed" in reason:  # not a constraint, a bad file
        reason += "; the file is damaged: restore it from a backup or point [storage] url elsewhere"
    return mask_password(reason)


class Store:
    """A handle on the database; ``begin()`` gives a transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction, committed on success."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"database {self.describe()}: {describe_error(exc)}") from exc
        except DatabaseError as exc:
            if type(exc) is not DatabaseError:  # constraint and the like: the caller's business
                raise
            raise StoreError(f"database {self.describe()}: {describe_error(exc)}") from exc

    def describe(self) -> str:
        """The URL without its password, safe for logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def upsert_insert(dialect: str) -> Callable[..., Any] | None:
    """The ``insert`` of ``dialect`` that knows ON CONFLICT (SQLite's or PostgreSQL's),
    or ``None`` for a database without one. Imported on first use: loading
    SQLAlchemy's PostgreSQL dialect costs a SQLite run ~25 ms for nothing."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    return None


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings digest relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"storage url {mask_password(url)!r} is not a database URL; "
            "write e.g. sqlite:///var/digest.db or postgresql+psycopg://user@host/digest"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (ImportError, ArgumentError) as exc:
        raise StoreError(
            f"storage url {parsed!r}: no database driver for {parsed.drivername!r}; "
            "write sqlite:///PATH or postgresql+psycopg://user@host/db"
        ) from exc


def open_store(url: str) -> Store:
    """Open (and create or migrate) the database at ``url``."""
    engine = make_engine(url)
    store = Store(engine)
    try:
        upgrade(store)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"database {store.describe()} cannot be opened: {describe_error(exc)}"
        ) from exc
    return store


def _alembic_config(conn: Connection) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


# Revision files are named after their revision id ("0008_suppressions.py" holds
# revision "0008", each one's down_revision the one before; a test says so), so
# the head is the highest prefix: no need to load Alembic and every migration
# module to learn that a database is current, which is what almost every open finds.
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def schema_head() -> str:
    """The newest migration's revision id, from the file names alone."""
    names = (_REVISION_FILE.match(p.name) for p in (MIGRATIONS / "versions").iterdir())
    return max(m.group(1) for m in names if m)


def _is_current(conn: Connection) -> bool:
    """Whether the database's recorded revision is the head (a missing version
    table, a new file, is not current)."""
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return False
    revisions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return revisions == [schema_head()]


@contextlib.contextmanager
def database_lock(store: Store, name: str, pg_key: int) -> Iterator[None]:
    """An exclusive lock across processes on ``store``'s database, held while
    the block runs: a PostgreSQL advisory lock (``pg_key``), or for SQLite an
    flock on the file ``<database>.<name>.lock`` beside it."""
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": pg_key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": pg_key})
                conn.commit()
        return
    database = store.engine.url.database or ""
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.{name}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(store: Store) -> None:
    """Bring the schema to the newest revision; cheap when it already is.

    On SQLite even the first look happens under the lock: a cold open switches a
    new file to WAL, and a switch racing another process's first migration fails
    at once with "database is locked", whatever the busy timeout (seen in CI)."""
    with contextlib.ExitStack() as held:
        if store.dialect == "sqlite":
            held.enter_context(database_lock(store, "migrate", _PG_LOCK_KEY))
        with store.engine.connect() as conn:
            if _is_current(conn):
                return
    with database_lock(store, "migrate", _PG_LOCK_KEY), store.engine.begin() as conn:
        if not _is_current(conn):
            from alembic import command

            command.upgrade(_alembic_config(conn), "head")
