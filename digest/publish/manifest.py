"""The generations' manifests: each file's key, hash and inode, in SQLite.

One database beside the generation folders (``.archive.generations/manifest.sqlite``)
holds, for each generation, its files and the inputs key of the publish that
made it. A publish changes a few hundred of the archive's tens of thousands
of files, so :meth:`Manifests.write` updates the spare's rows path by path
instead of rewriting (and re-reading) a whole JSON document each time.

Crash safety is the JSON manifests' rule: the spare is marked *dirty* (and
that is on disk) before its folder is touched, and marked clean, with its
rows, only when every file of it is durable, just before the swap; a dirty
spare is rebuilt from scratch by the next publish. Unlike the caches
(``bodies.sqlite``, ``facts.sqlite``) this is state, so every commit is
synced. A damaged database (not a database, malformed) is deleted: the next
publish then rewrites every file into the spare (the live folder is never
touched), as for an archive without manifests. A passing failure (locked by
another program, disk full, an I/O error) deletes nothing: the publish stops
with one line, the archive as it was. The JSON manifests of earlier versions
(``a.json``, ``b.json``) are read once, when the database lacks a generation,
and deleted once it holds it.

Each clean generation also remembers its folders' modification times and
inodes as they were when it was committed (``folders``), so that a publish
looks only into the folders changed since (a file deleted or replaced by hand
changes its folder's time) instead of walking every folder of the archive.

Each clean generation also remembers the paths where it differs from the
other generation as that was when it was committed (``differs``): the spare
then needs work only at those paths and at the ones a publish changes, so a
publish neither reads the spare's rows nor walks its folder. Those rows count
only while the generation's inputs carry :data:`PAIRED` (and the folders
while they carry :data:`FOLDERS`; written with them, so a version that does
not know them drops the marks with its own inputs).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

from digest.errors import PublishError

MANIFEST_NAME = "manifest.sqlite"
MANIFEST_VERSION = 1
BUSY_TIMEOUT = 30.0  # seconds to wait for another holder of the database's lock
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS generations (name TEXT PRIMARY KEY, version INTEGER NOT NULL,"
    " clean INTEGER NOT NULL, inputs TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (generation TEXT NOT NULL, path TEXT NOT NULL,"
    " key TEXT NOT NULL, hash TEXT NOT NULL, inode INTEGER NOT NULL,"
    " PRIMARY KEY (generation, path)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS differs (generation TEXT NOT NULL, path TEXT NOT NULL,"
    " PRIMARY KEY (generation, path)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS folders (generation TEXT NOT NULL, path TEXT NOT NULL,"
    " mtime INTEGER NOT NULL, inode INTEGER NOT NULL, PRIMARY KEY (generation, path))"
    " WITHOUT ROWID",
)
PAIRED = "differs-from"  # in a generation's stored inputs: its ``differs`` rows are whole
FOLDERS = "folders"  # in a generation's stored inputs: its ``folders`` rows are whole
Folders = dict[str, tuple[int, int]]  # folder ("" the root, "2026/01") -> (mtime_ns, inode)
T = TypeVar("T")


class Record(NamedTuple):
    """A file of a generation as its manifest remembers it."""

    key: str
    hash: str
    inode: int


Manifest = tuple[dict[str, Record], dict[str, object]]  # files, inputs
Differing = dict[str, "Record | None"]  # the spare's rows where it differs (None: absent)


class Manifests:
    """The manifests of the generations in ``home`` (opened under the publish lock)."""

    def __init__(self, home: Path) -> None:
        self.path = home / MANIFEST_NAME
        self.home = home
        self._db = self._open()
        # the rows the database holds for each generation read from it (and clean)
        self._held: dict[str, dict[str, Record]] = {}

    def _open(self) -> sqlite3.Connection:
        for _attempt in range(2):
            try:
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                for statement in SCHEMA:
                    db.execute(statement)
                return db
            except sqlite3.OperationalError as exc:
                raise self._passing(exc) from exc
            except sqlite3.DatabaseError:
                self._delete()
        raise PublishError(f"{self.path}: cannot open the archive manifests; delete it")

    def _passing(self, exc: sqlite3.OperationalError) -> PublishError:
        """Locked, full or failing: not damage, so nothing is deleted."""
        return PublishError(
            f"{self.path}: cannot use the archive manifests ({exc}); the archive still "
            "serves the previous publish; close any program holding the file, free disk "
            "space if it is full, and publish again"
        )

    def _delete(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()

    def _guarded(self, work: Callable[[sqlite3.Connection], T], lost: T) -> T:
        """``work`` on the database; a damaged one is deleted (and ``lost`` returned):
        what it held is then rebuilt, never trusted half read."""
        try:
            return work(self._db)
        except sqlite3.OperationalError as exc:
            raise self._passing(exc) from exc
        except sqlite3.DatabaseError:
            self._db.close()
            self._delete()
            self._db = self._open()
            return lost

    def read(self, name: str) -> Manifest | None:
        """Generation ``name``'s files and inputs, or ``None`` when it is unknown or
        dirty (a publish into it never finished)."""
        lost: tuple[bool, Manifest | None] = (True, None)
        known, found = self._guarded(lambda db: _read(db, name), lost)
        self._held.pop(name, None)
        if not known:
            return _read_json(self.home / f"{name}.json")
        if found is not None:
            self._held[name] = found[0]
        return found

    def mark_dirty(self, name: str) -> None:
        """Generation ``name`` is about to change: forget it until :meth:`write`."""
        statement = (
            "INSERT INTO generations VALUES (?, ?, 0, '{}') "
            "ON CONFLICT (name) DO UPDATE SET clean = 0"
        )
        with self._failing("cannot mark the spare generation as changing"):
            self._db.execute(statement, (name, MANIFEST_VERSION))
        (self.home / f"{name}.json").unlink(missing_ok=True)

    def write(
        self,
        name: str,
        files: Mapping[str, Record],
        inputs: Mapping[str, object],
        differs: tuple[str, set[str]] | None = None,
        folders: Folders | None = None,
    ) -> None:
        """Record ``files`` as generation ``name`` (clean): only the rows that differ
        from what :meth:`read` found in the database change (all, if it found none
        there: a dirty generation, or one read from an earlier JSON manifest).
        ``differs``: the other generation's name and the paths where ``name`` differs
        from it (see :meth:`differing`)."""
        before = self._held.pop(name, None)
        with self._failing("cannot record the new generation"), self._db as db:
            db.execute("BEGIN IMMEDIATE")
            if before is None:
                db.execute("DELETE FROM files WHERE generation = ?", (name,))
                before = {}
            gone = [(name, path) for path in before.keys() - files.keys()]
            db.executemany("DELETE FROM files WHERE generation = ? AND path = ?", gone)
            changed = [(name, p, *r) for p, r in files.items() if before.get(p) != r]
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", changed)
            self._finish_write(db, name, inputs, differs, folders)
        self._held[name] = dict(files)

    def update(
        self,
        name: str,
        changed: Mapping[str, Record],
        gone: set[str],
        inputs: Mapping[str, object],
        differs: tuple[str, set[str]],
        folders: Folders | None = None,
    ) -> None:
        """Record generation ``name`` (clean) as its rows were before it was marked
        dirty, with the rows ``changed`` replaced and the paths ``gone`` removed."""
        self._held.pop(name, None)
        with self._failing("cannot record the new generation"), self._db as db:
            db.execute("BEGIN IMMEDIATE")
            rows = [(name, path) for path in sorted(gone - changed.keys())]
            db.executemany("DELETE FROM files WHERE generation = ? AND path = ?", rows)
            upserts = [(name, p, *r) for p, r in changed.items()]
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", upserts)
            self._finish_write(db, name, inputs, differs, folders)

    @staticmethod
    def _finish_write(
        db: sqlite3.Connection,
        name: str,
        inputs: Mapping[str, object],
        differs: tuple[str, set[str]] | None,
        folders: Folders | None,
    ) -> None:
        db.execute("DELETE FROM differs WHERE generation = ?", (name,))
        db.execute("DELETE FROM folders WHERE generation = ?", (name,))
        stored = {k: v for k, v in inputs.items() if k not in (PAIRED, FOLDERS)}
        if differs is not None:
            other, paths = differs
            db.executemany("INSERT INTO differs VALUES (?, ?)", [(name, p) for p in paths])
            stored[PAIRED] = other
        if folders is not None:
            rows = [(name, path, *seen) for path, seen in folders.items()]
            db.executemany("INSERT INTO folders VALUES (?, ?, ?, ?)", rows)
            stored[FOLDERS] = True
        db.execute(
            "INSERT OR REPLACE INTO generations VALUES (?, ?, 1, ?)",
            (name, MANIFEST_VERSION, json.dumps(stored)),
        )

    def folders(self, name: str, inputs: Mapping[str, object]) -> Folders | None:
        """The folders of clean generation ``name`` (inputs ``inputs``, from
        :meth:`read`) as they were when it was committed, if it recorded them."""
        if not inputs.get(FOLDERS):
            return None
        query = "SELECT path, mtime, inode FROM folders WHERE generation = ?"
        lost: Folders | None = None
        return self._guarded(lambda db: {p: (m, i) for p, m, i in db.execute(query, (name,))}, lost)

    def differing(
        self, live: str, live_inputs: Mapping[str, object], spare: str
    ) -> Differing | None:
        """The clean ``spare``'s rows (``None``: no such file) at the paths where the
        ``live`` generation (inputs ``live_inputs``, from :meth:`read`) differs from
        it; ``None`` when that is not known (the spare is dirty, unknown, of another
        version, or changed since ``live`` was committed)."""
        if live_inputs.get(PAIRED) != spare:
            return None
        lost: tuple[bool, Differing | None] = (True, None)
        known, found = self._guarded(lambda db: _differing(db, live, spare), lost)
        return found if known else None

    @contextlib.contextmanager
    def _failing(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise PublishError(
                f"{self.path}: {what} ({exc}); the archive still serves the previous "
                "publish, fix the cause and publish again"
            ) from exc

    def close(self) -> None:
        self._db.close()


def _read(db: sqlite3.Connection, name: str) -> tuple[bool, Manifest | None]:
    """Whether the database knows generation ``name``, and its manifest if it is clean."""
    query = "SELECT version, clean, inputs FROM generations WHERE name = ?"
    row = db.execute(query, (name,)).fetchone()
    if row is None:
        return False, None
    version, clean, inputs = row
    if version != MANIFEST_VERSION or not clean:
        return True, None
    rows = db.execute("SELECT path, key, hash, inode FROM files WHERE generation = ?", (name,))
    files = {path: Record(key, digest, inode) for path, key, digest, inode in rows}
    return True, (files, dict(json.loads(inputs)))


def _differing(db: sqlite3.Connection, live: str, spare: str) -> tuple[bool, Differing | None]:
    known, found = _read_head(db, spare)
    if not known or not found:
        return True, None
    query = (
        "SELECT d.path, f.key, f.hash, f.inode FROM differs d LEFT JOIN files f"
        " ON f.generation = ? AND f.path = d.path WHERE d.generation = ?"
    )
    rows = db.execute(query, (spare, live))
    return True, {p: None if k is None else Record(k, h, i) for p, k, h, i in rows}


def _read_head(db: sqlite3.Connection, name: str) -> tuple[bool, bool]:
    """Whether the database knows generation ``name``, and whether it is clean."""
    query = "SELECT version, clean FROM generations WHERE name = ?"
    row = db.execute(query, (name,)).fetchone()
    if row is None:
        return False, False
    return True, row[0] == MANIFEST_VERSION and bool(row[1])


def _read_json(path: Path) -> Manifest | None:
    """A JSON manifest of an earlier version, if one is there."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # unreadable: rebuilt like a dirty spare
    if data.get("version") != MANIFEST_VERSION:
        return None
    files = {p: Record._make(record) for p, record in data["files"].items()}
    return files, dict(data.get("inputs") or {})
