"""Rendered edition bodies kept between publishes, beside the archive's generations.

An edition's sections are the costly part of every page that shows them (the
edition page, its region pages, the feeds): grouping into events and the
brief partials. They are rendered once, stored here under a key made of the
edition's fingerprint and the site key (templates, assets, version), and read
back by every later publish that re-renders a page showing them: a new
edition then renders its own body, not those of the twenty editions beside
it on the region pages and in the feeds. Keeping them on disk, not in a
dict, also keeps a full build's memory from growing with the archive.

A cache only: content-addressed, so a stale row can never be served (its key
would differ); rows of other site keys are dropped when a publish opens it;
an unreadable file is deleted and rebuilt. The publish lock serialises
writers; worker processes open their own connection (after ``fork``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import zlib
from pathlib import Path

CACHE_NAME = "bodies.sqlite"
SCHEMA = "CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, site TEXT NOT NULL, html BLOB)"


class BodyCache:
    """Edition bodies by key, in SQLite at ``path``, for the site ``site_key``."""

    def __init__(self, path: Path, site_key: str) -> None:
        self.path = path
        self.site_key = site_key
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._pending: dict[str, bytes] = {}  # written by flush (in the opening process)
        self._owner = os.getpid()

    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self._connection = self._open()  # a forked worker opens its own
            self._pid = os.getpid()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        return open_cache(self.path, SCHEMA, "body cache")

    def prune(self) -> None:
        """Drop the bodies rendered for other templates or versions."""
        self._db().execute("DELETE FROM bodies WHERE site != ?", (self.site_key,))

    def __contains__(self, key: object) -> bool:
        if key in self._pending:
            return True
        query = "SELECT 1 FROM bodies WHERE key = ?"
        return self._db().execute(query, (key,)).fetchone() is not None

    def get(self, key: str) -> str | None:
        pending = self._pending.get(key)
        if pending is not None:
            return zlib.decompress(pending).decode()
        row = self._db().execute("SELECT html FROM bodies WHERE key = ?", (key,)).fetchone()
        return zlib.decompress(row[0]).decode() if row else None

    def put(self, key: str, html: str) -> None:
        """Keep ``html``: in batches in the process that opened the cache
        (:meth:`flush` writes the rest), at once in a worker process."""
        self._pending[key] = zlib.compress(html.encode(), 1)
        if len(self._pending) >= 256 or os.getpid() != self._owner:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        db = self._db()
        rows = [(key, self.site_key, html) for key, html in self._pending.items()]
        with db:
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?)", rows)
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


def open_cache(path: Path, schema: str, what: str) -> sqlite3.Connection:
    """The SQLite cache at ``path`` with its one table ``schema``; a file that is not a
    database (or is damaged) is deleted and started again: losing a cache's rows costs
    only the work of making them again."""
    for _attempt in range(2):
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(schema)
            return db
        except sqlite3.DatabaseError:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    raise RuntimeError(f"{path}: cannot open the {what}")  # pragma: no cover
