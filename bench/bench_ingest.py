"""Ingest throughput: ``python bench/bench_ingest.py [--n 30000] [--rounds 3] [--postgres]``.

Parses one generated compact snapshot of N briefs and stores it in a fresh,
migrated SQLite file through digest's ingest path (parse, classify, dedupe,
store), beside floors measured in the same run, in interleaved rounds so
that machine load hits each alike (median of ``--rounds``):

- the dateline regex pass over the same text (the floor of parsing);
- raw ``sqlite3.executemany`` of the very rows digest writes (stories and
  their first revisions, values already formatted) into a fresh file of the
  same schema: the floor of storing, with no SQLAlchemy, lookups or dedupe;
- digest's store step alone (``store_items`` on items already classified).

With ``--postgres`` (needs the PostgreSQL binaries the tests use), the store
step also runs against a fresh PostgreSQL database beside ``COPY`` of the
same rows. Prints items per CPU second and per wall second with the ratio to
the floor, and the peak memory (tracemalloc, separate untimed run). The last
line is the bench's row of the speed table (``make bench``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine

from bench.bench_classify import DATELINE
from bench.floors import interleaved, line, peak_mib, started_postgres, table_row
from bench.snapshots import generate_snapshot
from digest.classify.labeller import Labeller
from digest.classify.regions import Label, load_regions
from digest.ingest.load import store_parsed
from digest.ingest.wire import parse_snapshot
from digest.model import Item
from digest.store import Store, dedupe, open_store
from digest.store.bulk import _sqlite_instant
from digest.store.schema import metadata, snapshots, stories, story_revisions
from digest.store.stories import REVISION_COLUMNS, STORY_COLUMNS, SnapshotMeta, store_items

ROOT = Path(__file__).resolve().parent.parent
CAPTURED = datetime(2026, 1, 20, 13, 0, tzinfo=UTC)
RULES = "bench-rules"  # the fingerprint of the region rules, stored with every story


def parse_items(text: str) -> list[Item]:
    return list(parse_snapshot(text, CAPTURED, "bench.txt").items)


def meta() -> SnapshotMeta:
    return SnapshotMeta("bench.txt", f"{time.monotonic_ns():064x}", CAPTURED)


def floor_rows(
    items: list[Item], labels: list[Label]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows digest stores for ``items`` in a fresh store, as driver tuples."""
    at = CAPTURED
    story_rows, revision_rows = [], []
    for item, (regions, countries) in zip(items, labels, strict=True):
        digest_ = dedupe.content_hash(item)
        story = dedupe.story_id(digest_)
        agencies = "/".join(item.agencies)
        story_rows.append(
            (story, item.kind, item.title, item.dateline, agencies, item.text, digest_,
             item.section, item.source, item.url, item.published_at, item.earliest, at, at,
             None, 1, ",".join(regions), ",".join(countries), RULES)
        )  # fmt: skip
        revision_rows.append((story, 1, digest_, item.title, agencies, item.text, at, 1))
    return story_rows, revision_rows


def as_sqlite(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(_sqlite_instant(v) if isinstance(v, datetime) else v for v in r) for r in rows]


class Fresh:
    """A new database for each timed run, made (and migrated) untimed."""

    def __init__(self, folder: Path, make: Callable[[str], Any]) -> None:
        self.folder, self.make, self.value = folder, make, None

    def prepare(self) -> None:
        self.value = self.make(str(self.folder / f"db-{time.monotonic_ns()}.db"))


def schema_only(path: str) -> str:
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine, tables=[snapshots, stories, story_revisions])
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "INSERT INTO snapshots VALUES (1, 'bench.txt', 'x', '2026-01-20 13:00:00.000000', "
            "'2026-01-20 13:00:00.000000', 0)"
        )
    return path


def raw_executemany(path: str, rows: tuple[list[Any], list[Any]]) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=NORMAL")  # what digest's SQLite store runs with
    with conn:
        conn.executemany(
            f"INSERT INTO stories ({', '.join(STORY_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in STORY_COLUMNS)})",
            rows[0],
        )
        conn.executemany(
            f"INSERT INTO story_revisions ({', '.join(REVISION_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in REVISION_COLUMNS)})",
            rows[1],
        )
    conn.close()
    return len(rows[0])


def store_step(store: Store, items: list[Item], labels: list[Label]) -> int:
    with store.begin() as conn:
        counts = store_items(conn, meta(), items, CAPTURED, labels, RULES)
    store.close()
    return counts.new + counts.known + counts.updated


def pg_copy(server: Any, dbname: str, rows: tuple[list[Any], list[Any]]) -> int:
    with server.connect(dbname) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO snapshots VALUES (1, 'bench.txt', 'x', now(), now(), 0)")
        with cur.copy(f"COPY stories ({', '.join(STORY_COLUMNS)}) FROM STDIN") as copy:
            for row in rows[0]:
                copy.write_row(row)
        with cur.copy(f"COPY story_revisions ({', '.join(REVISION_COLUMNS)}) FROM STDIN") as copy:
            for row in rows[1]:
                copy.write_row(row)
    return len(rows[0])


def add_postgres(
    server: Any,
    items: list[Item],
    labels: list[Label],
    rows: tuple[list[Any], list[Any]],
    cases: dict[str, Callable[[], int]],
    prepare: dict[str, Callable[[], object]],
) -> None:
    names = iter(range(10**6))
    dbs: dict[str, Any] = {}

    def fresh(which: str, migrate: bool) -> None:
        url = server.create_database(f"b{which}{next(names)}")
        dbs[which] = open_store(url) if migrate else url.rsplit("/", 1)[1]
        if not migrate:
            engine = create_engine(url)
            metadata.create_all(engine, tables=[snapshots, stories, story_revisions])
            engine.dispose()

    cases["floor: PostgreSQL COPY"] = lambda: pg_copy(server, dbs["copy"], rows)
    prepare["floor: PostgreSQL COPY"] = lambda: fresh("copy", False)
    cases["store (PostgreSQL)"] = lambda: store_step(dbs["store"], items, labels)
    prepare["store (PostgreSQL)"] = lambda: fresh("store", True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="briefs in the snapshot")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL beside COPY")
    args = parser.parse_args()
    text = generate_snapshot(args.n, 0)
    labeller = Labeller(load_regions(ROOT / "config" / "regions.toml"))
    parsed = parse_items(text)
    labels = labeller.labels(parsed)
    story_rows, revision_rows = floor_rows(parsed, labels)
    rows = (as_sqlite(story_rows), as_sqlite(revision_rows))
    print(f"snapshot: {args.n} briefs, {len(text.encode()) / 1e6:.1f} MB of text")
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    raw, migrated, ingest_db = (Fresh(folder, schema_only), Fresh(folder, open_store_at),
                                Fresh(folder, open_store_at))  # fmt: skip

    def ingest() -> int:  # what `digest ingest` does with one file once it is read
        store = ingest_db.value
        counts = store_parsed(store, meta(), parse_items(text), CAPTURED, labeller, RULES)
        store.close()
        return counts.new + counts.known + counts.updated

    cases: dict[str, Callable[[], int]] = {
        "floor: dateline regex pass": lambda: sum(1 for _ in DATELINE.finditer(text)),
        "parse": lambda: len(parse_items(text)),
        "parse+classify": lambda: len(labeller.labels(parse_items(text))),
        "floor: raw sqlite3.executemany": lambda: raw_executemany(raw.value, rows),
        "store (SQLite)": lambda: store_step(migrated.value, parsed, labels),
        "ingest: parse+classify+store": ingest,
    }
    prepare: dict[str, Callable[[], object]] = {
        "floor: raw sqlite3.executemany": raw.prepare,
        "store (SQLite)": migrated.prepare,
        "ingest: parse+classify+store": ingest_db.prepare,
    }
    try:
        with started_postgres() if args.postgres else _nothing() as server:
            if server is not None:
                store_rows = (story_rows, revision_rows)
                add_postgres(server, parsed, labels, store_rows, cases, prepare)
            timings = interleaved(cases, args.rounds, prepare)
        ingest_db.prepare()
        peaks = {"ingest: parse+classify+store": peak_mib(ingest)}
        migrated.prepare()
        peaks["store (SQLite)"] = peak_mib(lambda: store_step(migrated.value, parsed, labels))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    floors = {
        "parse": "floor: dateline regex pass",
        "parse+classify": "floor: dateline regex pass",
        "store (SQLite)": "floor: raw sqlite3.executemany",
        "ingest: parse+classify+store": "floor: raw sqlite3.executemany",
        "store (PostgreSQL)": "floor: PostgreSQL COPY",
    }
    print(f"median of {args.rounds} interleaved rounds; ratios are floor speed / step speed")
    for name, timing in timings.items():
        floor = timings[floors[name]] if name in floors else None
        print(line(name, timing, "items", floor, peaks.get(name)))
    whole, floor = (
        timings["ingest: parse+classify+store"],
        timings["floor: raw sqlite3.executemany"],
    )
    print(
        table_row(
            "ingest into SQLite", f"{whole.per_cpu / 1000:.1f}k briefs/CPU-s",
            f"raw `sqlite3.executemany` of the same rows {floor.per_cpu / 1000:.0f}k/CPU-s",
            floor.per_cpu / whole.per_cpu, "≥ 20k/s, within 3× of raw executemany",
        )
    )  # fmt: skip


def open_store_at(path: str) -> Store:
    store = open_store(f"sqlite:///{path}")
    with store.begin() as conn:  # a first snapshot row, as the floor has
        conn.execute(
            snapshots.insert().values(
                source="bench.txt", checksum="x", captured_at=CAPTURED, ingested_at=CAPTURED,
                item_count=0,
            )
        )  # fmt: skip
    return store


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
