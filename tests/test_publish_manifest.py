"""The generations' manifests in SQLite: clean and dirty generations, rows
updated path by path, a damaged database, and the JSON manifests of earlier
versions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from digest.errors import PublishError
from digest.publish import manifest
from digest.publish.manifest import MANIFEST_NAME, MANIFEST_VERSION, Manifests, Record

FILES = {
    "index.html": Record("k1", "h1", 11),
    "a/index.html": Record("k2", "h2", 12),
    "b/index.html": Record("k3", "h3", 13),
}


def test_a_written_generation_reads_back_until_it_is_marked_dirty(tmp_path: Path) -> None:
    manifests = Manifests(tmp_path)
    assert manifests.read("a") is None
    manifests.write("a", FILES, {"key": "x", "pages": 3})
    assert manifests.read("a") == (FILES, {"key": "x", "pages": 3})
    manifests.mark_dirty("a")
    assert manifests.read("a") is None
    manifests.close()
    reopened = Manifests(tmp_path)
    assert reopened.read("a") is None  # dirty survives a restart (a crash mid-publish)
    reopened.close()


def test_only_the_rows_that_differ_are_written(tmp_path: Path) -> None:
    manifests = Manifests(tmp_path)
    manifests.write("b", FILES, {})
    manifests.close()
    manifests = Manifests(tmp_path)
    assert manifests.read("b") == (FILES, {})
    changes = manifests._db.total_changes
    later = dict(FILES) | {"index.html": Record("k9", "h9", 19), "c/x.html": Record("k", "h", 1)}
    del later["b/index.html"]
    manifests.write("b", later, {"key": "y"})
    # one changed, one new, one removed, and the generation's own row
    assert manifests._db.total_changes - changes == 4
    assert manifests.read("b") == (later, {"key": "y"})
    manifests.close()


def test_a_damaged_database_is_deleted_and_knows_no_generation(tmp_path: Path) -> None:
    manifests = Manifests(tmp_path)
    manifests.write("a", FILES, {})
    manifests.close()
    for extra in ("-wal", "-shm"):
        Path(f"{tmp_path / MANIFEST_NAME}{extra}").unlink(missing_ok=True)
    (tmp_path / MANIFEST_NAME).write_bytes(b"not a database" * 100)
    again = Manifests(tmp_path)
    assert again.read("a") is None
    again.write("a", FILES, {})
    assert again.read("a") == (FILES, {})
    again.close()


def test_an_earlier_json_manifest_is_read_until_its_generation_changes(tmp_path: Path) -> None:
    files = {path: list(record) for path, record in FILES.items()}
    document = {"version": MANIFEST_VERSION, "files": files, "inputs": {"key": "old"}}
    (tmp_path / "a.json").write_text(json.dumps(document))
    manifests = Manifests(tmp_path)
    assert manifests.read("a") == (FILES, {"key": "old"})
    manifests.mark_dirty("a")
    assert manifests.read("a") is None and not (tmp_path / "a.json").exists()
    fewer = {"index.html": FILES["index.html"]}
    manifests.write("a", fewer, {})  # the database held none of its rows: all written
    manifests.close()
    reopened = Manifests(tmp_path)
    assert reopened.read("a") == (fewer, {})
    reopened.close()


def test_a_locked_database_stops_the_publish_and_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locked by another program (a real lock, held by a second connection) is a
    passing failure, not damage: one clear error, and the rows are still there."""
    manifests = Manifests(tmp_path)
    manifests.write("a", FILES, {"key": "x"})
    manifests.close()
    monkeypatch.setattr(manifest, "BUSY_TIMEOUT", 0.05)
    holder = sqlite3.connect(tmp_path / MANIFEST_NAME, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(PublishError, match="cannot use the archive manifests"):
            Manifests(tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = Manifests(tmp_path)
    assert again.read("a") == (FILES, {"key": "x"})
    again.close()
