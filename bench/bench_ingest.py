"""Ingest throughput: ``python bench/bench_ingest.py [--n 30000]``.

Parses one generated compact snapshot of N briefs and stores it in a fresh
SQLite file through digest's ingest path (parse, classify, dedupe, store),
and prints items per second for parse alone and for parse+store, beside two
baselines measured in the same run: a plain regex pass over the same text,
and a bare SQLAlchemy Core insert of the same rows into a table of the same
shape (what storing costs with no dedupe at all). Peak memory is traced in a
separate run of each step.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine

from bench.snapshots import generate_snapshot
from digest.classify.classifier import Classifier
from digest.classify.regions import load_regions
from digest.ingest.wire import parse_snapshot
from digest.model import Item
from digest.store import open_store
from digest.store.schema import metadata, stories
from digest.store.stories import SnapshotMeta, store_items

ROOT = Path(__file__).resolve().parent.parent
CAPTURED = datetime(2026, 1, 20, 13, 0, tzinfo=UTC)
BASELINE = re.compile(r"([A-ZÀ-Þ'][A-ZÀ-Þ'. /-]*[A-ZÀ-Þ.])(?: \(([A-Z/]+)\))? - ")


def parse_items(text: str) -> list[Item]:
    return list(parse_snapshot(text, CAPTURED, "bench.txt").items)


def ingest(text: str, folder: Path) -> int:
    """digest's path: parse, classify, dedupe and store in a fresh database."""
    annotate = Classifier(load_regions(ROOT / "config" / "regions.toml")).annotate
    store = open_store(f"sqlite:///{folder / f'digest-{time.monotonic_ns()}.db'}")
    items = [annotate(item) for item in parse_items(text)]
    with store.begin() as conn:
        counts = store_items(conn, SnapshotMeta("bench.txt", "x" * 64, CAPTURED), items, CAPTURED)
    store.close()
    return counts.new + counts.known + counts.updated


def bare_insert(rows: list[dict[str, Any]], folder: Path) -> int:
    """Baseline: the same rows, one executemany, no lookups, no migrations."""
    engine = create_engine(f"sqlite:///{folder / f'bare-{time.monotonic_ns()}.db'}")
    metadata.create_all(engine, tables=[stories])
    with engine.begin() as conn:
        conn.execute(stories.insert(), rows)
    engine.dispose()
    return len(rows)


def story_rows(items: list[Item]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{i:016x}", "kind": it.kind, "title": it.title, "dateline": it.dateline,
            "agencies": "/".join(it.agencies), "text": it.text, "content_hash": f"{i:064x}",
            "section": it.section, "source": it.source, "published_at": it.published_at,
            "earliest": it.earliest, "first_seen": CAPTURED, "last_seen": CAPTURED,
            "revisions": 1, "regions": "", "countries": "", "classified_with": "",
        }
        for i, it in enumerate(items)
    ]  # fmt: skip


def measure(run: Callable[[], int]) -> tuple[float, int, int]:
    start = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, count, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="briefs in the snapshot")
    args = parser.parse_args()
    text = generate_snapshot(args.n, 0)
    rows = story_rows(parse_items(text))
    annotate = Classifier(load_regions(ROOT / "config" / "regions.toml")).annotate
    print(f"snapshot: {args.n} briefs, {len(text.encode()) / 1e6:.1f} MB of text")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs: list[tuple[str, Callable[[], int]]] = [
            ("baseline regex pass", lambda: sum(1 for _ in BASELINE.finditer(text))),
            ("parse", lambda: len(parse_items(text))),
            ("parse+classify", lambda: len([annotate(i) for i in parse_items(text)])),
            ("baseline bare insert", lambda: bare_insert(rows, folder)),
            ("parse+classify+store", lambda: ingest(text, folder)),
        ]
        for name, run in runs:
            seconds, count, peak = measure(run)
            print(
                f"{name:22} {count:>7} items {seconds * 1000:9.1f} ms "
                f"{count / seconds:>11,.0f} items/s  peak {peak / 1e6:6.1f} MB"
            )


if __name__ == "__main__":
    main()
