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

from sqlalchemy import ColumnElement, Connection, Row, bindparam, select, update

from digest.classify.batch import collector_paused
from digest.classify.regions import Label
from digest.model import Item, Revision, Story
from digest.store import Store, dedupe
from digest.store.bulk import insert_rows
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
        low, high = min(dated) - gap, max(dated) + gap
        near = near | stories.c.published_at.between(low, high)
        near = near | stories.c.updated_at.between(low, high)  # reworded lately
    columns = (stories.c.id, stories.c.kind, stories.c.dateline, stories.c.title,
               stories.c.published_at, stories.c.text, stories.c.updated_at)  # fmt: skip
    found: dict[tuple[str, str | None, str | None], list[dedupe.Candidate]] = {}
    for column, values in ((stories.c.dateline, datelines), (stories.c.title, titles)):
        for chunk in _chunks(values):
            for row in conn.execute(select(*columns).where(column.in_(chunk) & near)):
                candidate = dedupe.Candidate(
                    row.id, row.kind, row.dateline, row.title,
                    row.published_at, dedupe.signature(row.text), row.updated_at,
                )  # fmt: skip
                key = dedupe.match_key(row.kind, row.dateline, row.title)
                found.setdefault(key, []).append(candidate)
    return found


STORY_COLUMNS = (
    "id", "kind", "title", "dateline", "agencies", "text", "content_hash", "section",
    "source", "url", "published_at", "earliest", "first_seen", "last_seen", "updated_at",
    "revisions", "regions", "countries", "classified_with",
)  # fmt: skip
REVISION_COLUMNS = (
    "story_id", "revision", "content_hash", "title", "agencies", "text", "seen_at", "snapshot_id",
)  # fmt: skip
_STATE = ("id", "earliest", "published_at", "last_seen", "first_seen", "revisions")
_WORDING = (
    "text", "title", "agencies", "content_hash", "last_seen", "updated_at", "regions", "countries",
)  # fmt: skip


@dataclass(slots=True)
class _Batch:
    """One snapshot's writes, gathered before any is made: rows to insert, and the
    stored stories it touches as they stand after each of its sightings and
    revisions in turn (``state``), so that each table takes one statement."""

    captured: datetime
    snapshot_id: int
    classified_with: str
    stories: list[tuple[Any, ...]] = field(default_factory=list)
    revisions: list[tuple[Any, ...]] = field(default_factory=list)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    reworded: dict[str, dict[str, Any]] = field(default_factory=dict)

    def new_story(self, item: Item, label: Label, story: str, digest_: str) -> None:
        at, agencies = self.captured, "/".join(item.agencies)
        self.stories.append(
            (story, item.kind, item.title, item.dateline, agencies, item.text, digest_,
             item.section, item.source, item.url, item.published_at, item.earliest, at, at,
             None, 1, ",".join(label[0]), ",".join(label[1]), self.classified_with)
        )  # fmt: skip
        self.revisions.append(self._revision(item, story, digest_, 1))

    def sighting(self, story: str, item: Item) -> None:
        """A known wording seen again: its publication interval narrowed, its
        sightings widened."""
        row = self.state[story]
        row["earliest"], row["published_at"] = dedupe.reconcile(
            row["earliest"], row["published_at"], item.earliest, item.published_at
        )
        row["last_seen"] = max(row["last_seen"], self.captured)
        row["first_seen"] = min(row["first_seen"], self.captured)

    def revision(self, story: str, item: Item, label: Label, digest_: str) -> None:
        """A new wording of a stored story; the latest capture's wording wins."""
        row = self.state[story]
        row["revisions"] = number = row["revisions"] + 1
        self.revisions.append(self._revision(item, story, digest_, number))
        last_seen = row["last_seen"]
        if last_seen is None or self.captured >= last_seen:
            row["last_seen"] = self.captured
            self.reworded[story] = {
                "text": item.text,
                "title": item.title,
                "agencies": "/".join(item.agencies),
                "content_hash": digest_,
                "updated_at": item.published_at or self.captured,
                "regions": ",".join(label[0]),
                "countries": ",".join(label[1]),
            }

    def _revision(self, item: Item, story: str, digest_: str, number: int) -> tuple[Any, ...]:
        return (story, number, digest_, item.title, "/".join(item.agencies), item.text,
                self.captured, self.snapshot_id)  # fmt: skip

    def write(self, conn: Connection) -> None:
        """New stories, then every revision (reworded ones first, as they were
        found), then the touched stories: one statement each."""
        insert_rows(conn, stories, STORY_COLUMNS, self.stories)
        # Revisions of stored stories come first, as when each was written on the spot.
        revisions = self.revisions
        touched = [r for r in revisions if r[1] > 1]
        insert_rows(
            conn, story_revisions, REVISION_COLUMNS, touched + [r for r in revisions if r[1] == 1]
        )
        self._update(conn)

    def _update(self, conn: Connection) -> None:
        if not self.state:
            return
        marked = {"classified_with": self.classified_with} if self.classified_with else {}
        rows = []
        for story, row in self.state.items():
            values = {"id": story, **row, **self.reworded.get(story, {}), **marked}
            rows.append({f"b_{k}": v for k, v in values.items()})
        for columns in {tuple(sorted(r)) for r in rows}:
            names = [c[2:] for c in columns if c != "b_id"]
            statement = (
                update(stories)
                .where(stories.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in names})
            )
            conn.execute(statement, [r for r in rows if tuple(sorted(r)) == columns])


def _stored_state(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What a batch's sightings and revisions read of the stories they touch."""
    columns = [stories.c[name] for name in _STATE]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in conn.execute(select(*columns).where(stories.c.id.in_(chunk))):
            found[row.id] = {name: row._mapping[name] for name in _STATE[1:]}
    return found


def store_items(
    conn: Connection,
    meta: SnapshotMeta,
    items: Sequence[Item],
    now: datetime,
    labels: Sequence[Label] | None = None,
    classified_with: str = "",
) -> IngestCounts:
    """Store one snapshot's items; idempotent per snapshot checksum.

    ``labels`` are the items' ``(regions, countries)`` when they were classified
    apart from the items (``Labeller.labels``); by default the items' own. With
    ``classified_with``, every story the snapshot holds is marked as classified
    by those rules. Every table takes one statement per batch for its rows,
    whatever mix of new, known and reworded items the snapshot holds.
    """
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
    if labels is None:
        labels = [(item.regions, item.countries) for item in items]
    hashes = [dedupe.content_hash(item) for item in items]
    known = _known_revisions(conn, hashes)
    unknown = [item for item, h in zip(items, hashes, strict=True) if h not in known]
    candidates = _candidates(conn, unknown) if unknown else {}
    batch = _Batch(meta.captured_at, snapshot_id, classified_with)
    steps: list[tuple[str, Item, Label, str, bool]] = []
    seen_here: set[str] = set()
    for item, label, digest_ in zip(items, labels, hashes, strict=True):
        if digest_ in seen_here:
            counts.known += 1
            continue
        seen_here.add(digest_)
        if digest_ in known:
            steps.append((known[digest_], item, label, digest_, False))
            counts.known += 1
            counts.story_ids.append(known[digest_])
            continue
        pool = candidates.get(dedupe.match_key(item.kind, item.dateline, item.title))
        match = dedupe.best_match(item, dedupe.signature(item.text), pool) if pool else None
        if match is not None:
            steps.append((match.id, item, label, digest_, True))
            counts.updated += 1
            counts.story_ids.append(match.id)
            continue
        story = dedupe.story_id(digest_)
        batch.new_story(item, label, story, digest_)
        counts.new += 1
        counts.story_ids.append(story)
    if steps:
        batch.state = _stored_state(conn, (story for story, *_ in steps))
    for story, item, label, digest_, reworded in steps:
        if reworded:
            batch.revision(story, item, label, digest_)
        else:
            batch.sighting(story, item)
    batch.write(conn)
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
    with store.begin() as conn, collector_paused():  # long-lived rows, no cycles
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
