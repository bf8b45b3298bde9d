"""Stories in the store: turning parsed items into deduplicated stories.

One call stores one snapshot's items in one transaction: a snapshot seen
before (same checksum) changes nothing; a known revision only widens the
story's sightings; a reworded brief becomes a new revision of its story.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, select, update

from digest.model import Item, Revision, Story
from digest.store import Store, dedupe
from digest.store.bulk import insert_many
from digest.store.schema import snapshots, stories, story_revisions

_CHUNK = 500


@dataclass
class IngestCounts:
    """What storing one snapshot did, item by item."""

    new: int = 0
    known: int = 0
    updated: int = 0
    skipped_snapshot: bool = False
    story_ids: list[str] = field(default_factory=list)

    def add(self, other: IngestCounts) -> None:
        self.new += other.new
        self.known += other.known
        self.updated += other.updated


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """Where a batch of items came from."""

    source: str
    checksum: str
    captured_at: datetime


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def snapshot_known(conn: Connection, checksum: str) -> bool:
    query = select(snapshots.c.id).where(snapshots.c.checksum == checksum)
    return conn.execute(query).first() is not None


def _known_revisions(conn: Connection, hashes: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(hashes))):
        query = select(story_revisions.c.content_hash, story_revisions.c.story_id).where(
            story_revisions.c.content_hash.in_(chunk)
        )
        found.update({row.content_hash: row.story_id for row in conn.execute(query)})
    return found


def _candidates(
    conn: Connection, items: Sequence[Item]
) -> dict[tuple[str, str | None, str | None], list[dedupe.Candidate]]:
    """Stored stories that ``items`` could be revisions of, by match key: same
    dateline (or, without one, same title) and close enough in time."""
    datelines = sorted({i.dateline for i in items if i.dateline})
    titles = sorted({i.title for i in items if i.dateline is None and i.title})
    dated = [i.published_at for i in items if i.published_at is not None]
    near: ColumnElement[bool] = stories.c.published_at.is_(None)
    if dated:
        gap = dedupe.SAME_STORY_MAX_GAP
        near = near | stories.c.published_at.between(min(dated) - gap, max(dated) + gap)
    columns = (stories.c.id, stories.c.kind, stories.c.dateline, stories.c.title,
               stories.c.published_at, stories.c.text)  # fmt: skip
    found: dict[tuple[str, str | None, str | None], list[dedupe.Candidate]] = {}
    for column, values in ((stories.c.dateline, datelines), (stories.c.title, titles)):
        for chunk in _chunks(values):
            for row in conn.execute(select(*columns).where(column.in_(chunk) & near)):
                candidate = dedupe.Candidate(
                    row.id, row.kind, row.dateline, row.title,
                    row.published_at, dedupe.signature(row.text),
                )  # fmt: skip
                key = dedupe.match_key(row.kind, row.dateline, row.title)
                found.setdefault(key, []).append(candidate)
    return found


def _story_row(item: Item, story: str, digest_: str, captured: datetime) -> dict[str, Any]:
    return {
        "id": story,
        "kind": item.kind,
        "title": item.title,
        "dateline": item.dateline,
        "agencies": "/".join(item.agencies),
        "text": item.text,
        "content_hash": digest_,
        "section": item.section,
        "source": item.source,
        "url": item.url,
        "published_at": item.published_at,
        "earliest": item.earliest,
        "first_seen": captured,
        "last_seen": captured,
        "updated_at": None,
        "revisions": 1,
        "regions": ",".join(item.regions),
        "countries": ",".join(item.countries),
        "classified_with": "",
    }


def _revision_row(
    item: Item, story: str, digest_: str, number: int, captured: datetime, snapshot_id: int
) -> dict[str, Any]:
    return {
        "story_id": story,
        "revision": number,
        "content_hash": digest_,
        "title": item.title,
        "agencies": "/".join(item.agencies),
        "text": item.text,
        "seen_at": captured,
        "snapshot_id": snapshot_id,
    }


def _sighting(conn: Connection, story: str, item: Item, captured: datetime) -> None:
    row = conn.execute(
        select(
            stories.c.earliest, stories.c.published_at, stories.c.last_seen, stories.c.first_seen
        ).where(stories.c.id == story)
    ).one()
    earliest, latest = dedupe.reconcile(
        row.earliest, row.published_at, item.earliest, item.published_at
    )
    conn.execute(
        update(stories)
        .where(stories.c.id == story)
        .values(
            earliest=earliest,
            published_at=latest,
            last_seen=max(row.last_seen, captured),
            first_seen=min(row.first_seen, captured),
        )
    )


def _new_revision(
    conn: Connection, story: str, item: Item, digest_: str, captured: datetime, snapshot_id: int
) -> None:
    row = conn.execute(
        select(stories.c.revisions, stories.c.last_seen).where(stories.c.id == story)
    ).one()
    number = row.revisions + 1
    conn.execute(
        story_revisions.insert(),
        [_revision_row(item, story, digest_, number, captured, snapshot_id)],
    )
    values: dict[str, Any] = {"revisions": number}
    last_seen = row.last_seen
    if last_seen is None or captured >= last_seen:  # the latest capture's wording wins
        values |= {
            "text": item.text,
            "title": item.title,
            "agencies": "/".join(item.agencies),
            "content_hash": digest_,
            "last_seen": captured,
            "updated_at": item.published_at or captured,
            "regions": ",".join(item.regions),
            "countries": ",".join(item.countries),
        }
    conn.execute(update(stories).where(stories.c.id == story).values(**values))


def store_items(
    conn: Connection, meta: SnapshotMeta, items: Sequence[Item], now: datetime
) -> IngestCounts:
    """Store one snapshot's items; idempotent per snapshot checksum."""
    counts = IngestCounts()
    if snapshot_known(conn, meta.checksum):
        counts.skipped_snapshot = True
        counts.known = len(items)
        return counts
    inserted = conn.execute(
        snapshots.insert().values(
            source=meta.source,
            checksum=meta.checksum,
            captured_at=meta.captured_at,
            ingested_at=now,
            item_count=len(items),
        )
    ).inserted_primary_key
    snapshot_id = int(inserted[0]) if inserted else 0
    hashes = [dedupe.content_hash(item) for item in items]
    known = _known_revisions(conn, hashes)
    unknown = [item for item, h in zip(items, hashes, strict=True) if h not in known]
    candidates = _candidates(conn, unknown) if unknown else {}
    new_stories: list[dict[str, Any]] = []
    new_revisions: list[dict[str, Any]] = []
    seen_here: set[str] = set()
    for item, digest_ in zip(items, hashes, strict=True):
        if digest_ in seen_here:
            counts.known += 1
            continue
        seen_here.add(digest_)
        if digest_ in known:
            _sighting(conn, known[digest_], item, meta.captured_at)
            counts.known += 1
            counts.story_ids.append(known[digest_])
            continue
        pool = candidates.get(dedupe.match_key(item.kind, item.dateline, item.title))
        match = dedupe.best_match(item, dedupe.signature(item.text), pool) if pool else None
        if match is not None:
            _new_revision(conn, match.id, item, digest_, meta.captured_at, snapshot_id)
            counts.updated += 1
            counts.story_ids.append(match.id)
            continue
        story = dedupe.story_id(digest_)
        new_stories.append(_story_row(item, story, digest_, meta.captured_at))
        new_revisions.append(_revision_row(item, story, digest_, 1, meta.captured_at, snapshot_id))
        counts.new += 1
        counts.story_ids.append(story)
    insert_many(conn, stories, new_stories)
    insert_many(conn, story_revisions, new_revisions)
    return counts


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


def row_to_story(row: Row[Any]) -> Story:
    """A ``stories`` row as the Story value the rest of the pipeline uses."""
    return Story(
        id=row.id,
        kind=row.kind,
        title=row.title,
        dateline=row.dateline,
        agencies=tuple(a for a in row.agencies.split("/") if a),
        text=row.text,
        published_at=row.published_at,
        section=row.section,
        source=row.source,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        updated_at=row.updated_at,
        revisions=row.revisions,
        regions=_split(row.regions),
        countries=tuple(sorted(_split(row.countries))),
        url=row.url,
    )


def list_stories(
    store: Store, since: datetime | None = None, region: str | None = None
) -> list[Story]:
    """Stories newest first (by publication, else last sighting).

    ``since`` keeps stories published (or, undated, last seen) at or after it;
    ``region`` keeps stories classified in that region.
    """
    query = select(stories)
    if since is not None:
        query = query.where(
            (stories.c.published_at >= since)
            | (stories.c.published_at.is_(None) & (stories.c.last_seen >= since))
            | (stories.c.updated_at >= since)
        )
    with store.begin() as conn:
        found = [row_to_story(row) for row in conn.execute(query)]
    if region is not None:
        found = [s for s in found if region in s.regions]
    found.sort(key=lambda s: (s.published_at or s.last_seen, s.id), reverse=True)
    return found


def story_revision_texts(store: Store, story: str) -> list[tuple[int, str]]:
    """The wording history of one story, oldest first."""
    query = (
        select(story_revisions.c.revision, story_revisions.c.text)
        .where(story_revisions.c.story_id == story)
        .order_by(story_revisions.c.revision)
    )
    with store.begin() as conn:
        return [(row.revision, row.text) for row in conn.execute(query)]


def revisions_of(store: Store, story_ids: Iterable[str]) -> dict[str, tuple[Revision, ...]]:
    """Every stored wording of each of ``story_ids``, oldest first (the archive's
    story pages show them as a timeline)."""
    ids = sorted(set(story_ids))
    found: dict[str, list[Revision]] = {}
    columns = story_revisions.c
    with store.begin() as conn:
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(
                    columns.story_id, columns.revision, columns.seen_at, columns.title, columns.text
                )
                .where(columns.story_id.in_(ids[start : start + _CHUNK]))
                .order_by(columns.story_id, columns.revision)
            )
            for row in conn.execute(query):
                found.setdefault(row.story_id, []).append(
                    Revision(row.revision, row.seen_at, row.title, row.text)
                )
    return {story: tuple(revisions) for story, revisions in found.items()}


def update_classification(
    conn: Connection,
    updates: Iterable[tuple[str, tuple[str, ...], tuple[str, ...]]],
    classified_with: str,
) -> int:
    """Set regions and countries of stories; returns how many rows changed."""
    count = 0
    for story, regions, countries in updates:
        conn.execute(
            update(stories)
            .where(stories.c.id == story)
            .values(
                regions=",".join(regions),
                countries=",".join(countries),
                classified_with=classified_with,
            )
        )
        count += 1
    return count
