"""Ingestion: sources → parse → classify → store, one file at a time.

Each file is read, parsed and stored in its own transaction, so one bad file
is reported by name and never stops the others.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from sqlalchemy import select

from digest.classify.labeller import Labeller
from digest.classify.regions import Label
from digest.errors import SourceError, plural
from digest.ingest.sources import expand_paths, path_name
from digest.model import Item, Story
from digest.store import Store, database_lock
from digest.store.schema import stories
from digest.store.stories import (
    IngestCounts,
    SnapshotMeta,
    row_to_story,
    store_items,
    update_classification,
)

log = logging.getLogger(__name__)
Annotate = Callable[[Item], Item]


@dataclass
class FileReport:
    """The outcome of ingesting one file."""

    path: Path
    counts: IngestCounts = field(default_factory=IngestCounts)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    kind: str = "wire"

    @property
    def name(self) -> str:
        """The file's name as printable text (see :func:`path_name`)."""
        return path_name(self.path)

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        if self.counts.skipped_snapshot:
            return "known"
        return f"{self.counts.new} new, {self.counts.known} known, {self.counts.updated} updated"


@dataclass
class IngestReport:
    """The outcome of one ingest run, file by file."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.error]

    @property
    def warnings(self) -> list[str]:
        return [w for f in self.files for w in f.warnings]

    def totals(self) -> IngestCounts:
        total = IngestCounts()
        for report in self.files:
            total.add(report.counts)
        return total

    def summary(self) -> str:
        t = self.totals()
        return (
            f"{plural(len(self.files), 'file')}: {t.new} new, {t.known} already known, "
            f"{t.updated} updated, {len(self.failed)} failed"
        )


def ingest_file(
    store: Store,
    path: Path,
    *,
    now: datetime,
    captured_at: datetime | None = None,
    annotate: Annotate | None = None,
    classified_with: str = "",
    zone: tzinfo = UTC,
) -> FileReport:
    """Read, parse, classify and store one snapshot or feed file; never raises SourceError.
    A feed is recognised by its content, whatever the file is called."""
    from digest.ingest.pages import read_source  # pages -> feeds -> this module

    report = FileReport(path)
    name = path_name(path)
    try:
        # Clock times on the page ("gisteren 21:05") are wall-clock times of the site's zone.
        read = read_source(path, captured_at.astimezone(zone) if captured_at else None, zone)
    except SourceError as exc:
        report.error = str(exc)
        return report
    except Exception as exc:  # a parser bug loses this file, never the files after it
        log.exception("%s: the parser failed", name)
        report.error = f"{name}: cannot be parsed ({type(exc).__name__}: {exc}); please report it"
        return report
    report.kind = read.kind
    report.warnings.extend(read.warnings)
    report.warnings.extend(str(w) for w in read.result.warnings)
    meta = SnapshotMeta(name, read.checksum, read.captured_at.astimezone(UTC))
    report.counts = store_parsed(store, meta, read.result.items, now, annotate, classified_with)
    return report


def store_parsed(
    store: Store,
    meta: SnapshotMeta,
    items: Sequence[Item],
    now: datetime,
    annotate: Annotate | None,
    classified_with: str,
) -> IngestCounts:
    """Classify one snapshot's items and store them in one transaction,
    noting which region rules classified them. A ``Labeller`` classifies the
    whole snapshot in one pass and the items are stored as they were parsed."""
    labels = None if annotate is None else labels_of(annotate, items)
    with store.begin() as conn:
        return store_items(conn, meta, items, now, labels, classified_with)


def labels_of(annotate: Annotate, items: Sequence[Item]) -> list[Label]:
    """Each item's ``(regions, countries)``: a ``Labeller`` finds them all in one
    pass, any other ``annotate`` item by item."""
    if isinstance(annotate, Labeller):
        return annotate.labels(items)
    return [(item.regions, item.countries) for item in map(annotate, items)]


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    now: datetime,
    captured_at: datetime | None = None,
    annotate: Annotate | None = None,
    classified_with: str = "",
    zone: tzinfo = UTC,
    progress: Callable[[FileReport], None] | None = None,
) -> IngestReport:
    """Ingest every file under ``paths``; bad files are reported, not raised."""
    report = IngestReport()
    for path in expand_paths(paths):
        file_report = ingest_file(
            store,
            path,
            now=now,
            captured_at=captured_at,
            annotate=annotate,
            classified_with=classified_with,
            zone=zone,
        )
        if file_report.error:
            log.debug("ingest failed: %s", file_report.error)
        report.files.append(file_report)
        if progress:
            progress(file_report)
    return report


def story_as_item(story: Story) -> Item:
    """A stored story as an item again, for re-classification."""
    return Item(
        kind=story.kind,
        title=story.title,
        dateline=story.dateline,
        agencies=story.agencies,
        text=story.text,
        published_at=story.published_at,
        section=story.section,
        source=story.source,
    )


def reclassify(
    store: Store, annotate: Annotate, classified_with: str, *, force: bool = False
) -> int:
    """Re-classify stories classified under another region config; returns the count.
    A ``Labeller`` classifies all of them in one pass (the same labels as one by one)."""
    query = select(stories)
    if not force:
        query = query.where(stories.c.classified_with != classified_with)
    with store.begin() as conn:
        stale: Sequence[Story] = [row_to_story(r) for r in conn.execute(query)]
        labels = labels_of(annotate, [story_as_item(story) for story in stale])
        updates = [
            (s.id, regions, countries)
            for s, (regions, countries) in zip(stale, labels, strict=True)
        ]
        return update_classification(conn, updates, classified_with)


_PG_INGEST_LOCK = 0x696E676573  # "inges"


def ingest_lock(store: Store) -> contextlib.AbstractContextManager[None]:
    """Hold the cross-process ingestion lock of ``store``'s database."""
    return database_lock(store, "ingest", _PG_INGEST_LOCK)
