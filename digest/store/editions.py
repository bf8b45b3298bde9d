"""Recorded editions: what each edition contained, immutable once written.

An edition row holds its slot, window and the whole edition as JSON (the
payload), so sending and publishing always render the very same edition;
``edition_stories`` lists its exact stories per section. Recording the same
edition id twice returns the first record; ``replace_edition`` swaps one
that was never sent (no ``deliveries`` rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from digest import clock
from digest.classify.batch import collector_paused
from digest.errors import StoreError, plural
from digest.model import Edition, EditionBrief, EditionSection, Story
from digest.store import Store
from digest.store.schema import deliveries, edition_stories, editions, stories
from digest.store.stories import row_to_story

FORMAT_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _utc(value: datetime) -> datetime:
    """SQLite drops the zone of stored datetimes: store and compare in UTC only."""
    return value.astimezone(UTC)


def _instant(value: str | None, zone: ZoneInfo) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(zone) if value else None


def story_to_json(story: Story) -> dict[str, Any]:
    """Every field of a story (``Story.to_json`` plus the url)."""
    return {**story.to_json(), "url": story.url}


def story_from_json(data: dict[str, Any], zone: ZoneInfo) -> Story:
    return Story(
        id=data["id"],
        kind=data["kind"],
        title=data["title"],
        dateline=data["dateline"],
        agencies=tuple(data["agencies"]),
        text=data["text"],
        published_at=_instant(data["published_at"], zone),
        section=data["section"],
        source=data["source"],
        first_seen=datetime.fromisoformat(data["first_seen"]).astimezone(zone),
        last_seen=datetime.fromisoformat(data["last_seen"]).astimezone(zone),
        updated_at=_instant(data["updated_at"], zone),
        revisions=data["revisions"],
        regions=tuple(data["regions"]),
        countries=tuple(data["countries"]),
        url=data.get("url"),
    )


def _brief_to_json(brief: EditionBrief, zone: ZoneInfo) -> dict[str, Any]:
    story = brief.story
    return {
        "story_id": story.id,
        "kind": story.kind,
        "title": story.title,
        "dateline": story.dateline,
        "agencies": list(story.agencies),
        "text": story.text,
        "published_at": _iso(story.published_at.astimezone(zone) if story.published_at else None),
        "band": brief.band,
        "updated": brief.updated,
        "changes": [list(pair) for pair in brief.changes],
        "reported": _iso(brief.reported.astimezone(zone) if brief.reported else None),
        "event": brief.event,
        "before": brief.before,
    }


def edition_to_json(edition: Edition) -> dict[str, Any]:
    """The public JSON of an edition (``digest build --json``) and its stored form.

    Times are ISO 8601 in the site zone. ``sections[].briefs[]`` carry what a
    reader sees; ``stories`` every field of each story, to rebuild the edition.
    """
    zone = edition.zone
    unique = {b.story.id: b.story for s in edition.sections for b in s.briefs}
    return {
        "format": FORMAT_VERSION,
        "id": edition.id,
        "name": edition.name,
        "title": edition.title,
        "kind": edition.kind,
        "time": edition.slot.astimezone(zone).isoformat(),
        "timezone": edition.timezone,
        "window": {
            "start": edition.window_start.astimezone(zone).isoformat(),
            "end": edition.window_end.astimezone(zone).isoformat(),
        },
        "note_markdown": edition.note_markdown,
        "regions": list(edition.regions),
        "sections": [
            {
                "region_id": s.region_id,
                "title": s.title,
                "briefs": [_brief_to_json(b, zone) for b in s.briefs],
            }
            for s in edition.sections
        ],
        "stories": [story_to_json(story) for story in unique.values()],
    }


def edition_from_json(data: dict[str, Any]) -> Edition:
    """The edition that :func:`edition_to_json` wrote."""
    if data.get("format") != FORMAT_VERSION:
        raise StoreError(
            f"edition {data.get('id')!r}: stored format {data.get('format')!r} is not "
            f"{FORMAT_VERSION}; upgrade digest or rebuild the edition"
        )
    zone = ZoneInfo(data["timezone"])
    by_id = {s["id"]: story_from_json(s, zone) for s in data["stories"]}
    sections = tuple(
        EditionSection(
            region_id=s["region_id"],
            title=s["title"],
            briefs=tuple(
                EditionBrief(
                    by_id[b["story_id"]],
                    b["band"],
                    b["updated"],
                    tuple((old, new) for old, new in b.get("changes", ())),
                    _instant(b.get("reported"), zone),
                    b.get("event"),
                    b.get("before"),  # absent from editions recorded before it existed
                )
                for b in s["briefs"]
            ),
        )
        for s in data["sections"]
    )
    return Edition(
        id=data["id"],
        name=data["name"],
        title=data["title"],
        slot=datetime.fromisoformat(data["time"]).astimezone(zone),
        window_start=datetime.fromisoformat(data["window"]["start"]).astimezone(zone),
        window_end=datetime.fromisoformat(data["window"]["end"]).astimezone(zone),
        sections=sections,
        note_markdown=data["note_markdown"],
        regions=tuple(data["regions"]),
        timezone=data["timezone"],
        kind=data.get("kind", "regular"),
    )


def window_stories(store: Store, start: datetime, end: datetime) -> list[Story]:
    """Stories first seen, or reworded, in ``(start, end]``: the candidates of an edition."""
    start, end = _utc(start), _utc(end)
    first = and_(stories.c.first_seen > start, stories.c.first_seen <= end)
    changed = and_(stories.c.updated_at > start, stories.c.updated_at <= end)
    query = select(stories).where(or_(first, changed)).order_by(stories.c.id)
    with store.begin() as conn:
        return [row_to_story(row) for row in conn.execute(query)]


def _load(conn: Connection, edition_id: str) -> Edition | None:
    query = select(editions.c.payload).where(editions.c.id == edition_id)
    payload = conn.execute(query).scalar_one_or_none()
    return edition_from_json(json.loads(payload)) if payload is not None else None


def load_edition(store: Store, edition_id: str) -> Edition | None:
    """The recorded edition with this id, or ``None``."""
    with store.begin() as conn:
        return _load(conn, edition_id)


def _insert(conn: Connection, edition: Edition, recorded_at: datetime) -> None:
    conn.execute(
        insert(editions).values(
            id=edition.id,
            name=edition.name,
            slot=_utc(edition.slot),
            window_start=_utc(edition.window_start),
            window_end=_utc(edition.window_end),
            created_at=_utc(recorded_at),
            story_count=edition.story_count,
            payload=json.dumps(edition_to_json(edition), ensure_ascii=False),
        )
    )
    rows = [
        {
            "edition_id": edition.id,
            "section": section.key,
            "story_id": brief.story.id,
            "position": position,
            "band": brief.band,
            "updated": brief.updated,
        }
        for section in edition.sections
        for position, brief in enumerate(section.briefs)
    ]
    if rows:
        conn.execute(insert(edition_stories), rows)


def record_edition(
    store: Store, edition: Edition, *, recorded_at: datetime | None = None
) -> Edition:
    """Record ``edition`` and return it; if its id (or name and slot) was
    recorded before, return that recorded edition unchanged instead."""
    try:
        with store.begin() as conn:
            found = _load(conn, edition.id)
            if found is not None:
                return found
            _insert(conn, edition, recorded_at or clock.now())
            return edition
    except IntegrityError as exc:
        # Another run recorded the same slot between our read and our insert.
        with store.begin() as conn:
            found = _load(conn, edition.id) or _by_slot(conn, edition)
        if found is None:
            raise StoreError(f"edition {edition.id} cannot be recorded: {exc.orig}") from exc
        return found


def _by_slot(conn: Connection, edition: Edition) -> Edition | None:
    query = select(editions.c.id).where(
        editions.c.name == edition.name, editions.c.slot == _utc(edition.slot)
    )
    found = conn.execute(query).scalar_one_or_none()
    return _load(conn, found) if found is not None else None


def delivery_count(conn: Connection, edition_id: str) -> int:
    query = (
        select(func.count()).select_from(deliveries).where(deliveries.c.edition_id == edition_id)
    )
    return int(conn.execute(query).scalar_one())


def replace_edition(
    store: Store, edition: Edition, *, recorded_at: datetime | None = None
) -> Edition:
    """Record ``edition`` in place of the one with its id, which must never have
    been sent (no delivery rows); raise StoreError otherwise."""
    with store.begin() as conn:
        sent = delivery_count(conn, edition.id)
        if sent:
            raise StoreError(
                f"edition {edition.id} has {plural(sent, 'delivery record')}; a sent edition "
                "cannot be rebuilt; build a new slot with --at instead"
            )
        conn.execute(delete(edition_stories).where(edition_stories.c.edition_id == edition.id))
        conn.execute(delete(editions).where(editions.c.id == edition.id))
        _insert(conn, edition, recorded_at or clock.now())
    return edition


def previous_edition(store: Store, name: str, before: datetime) -> Edition | None:
    """The latest recorded edition of ``name`` whose slot is before ``before``."""
    query = (
        select(editions.c.id)
        .where(editions.c.name == name, editions.c.slot < _utc(before))
        .order_by(editions.c.slot.desc())
        .limit(1)
    )
    with store.begin() as conn:
        found = conn.execute(query).scalar_one_or_none()
        return _load(conn, found) if found is not None else None


def list_editions(
    store: Store, name: str | None = None, *, released: bool = False
) -> list[Edition]:
    """Recorded editions (of ``name``, or all), oldest slot first; ``released``
    leaves out those still waiting for an editor's approval."""
    query = select(editions.c.payload).order_by(editions.c.slot, editions.c.id)
    if name is not None:
        query = query.where(editions.c.name == name)
    if released:
        from digest.store.approvals import unreleased_ids

        query = query.where(editions.c.id.not_in(unreleased_ids()))
    with store.begin() as conn:
        return decode_editions(conn.execute(query).scalars())


def decode_editions(payloads: Iterable[str]) -> list[Edition]:
    """The editions of recorded payloads. The cyclic collector is paused meanwhile:
    decoding makes tens of objects per story that live on and form no cycles, and
    each collection in between walked them all again (a quarter of the time)."""
    with collector_paused():
        return [edition_from_json(json.loads(payload)) for payload in payloads]
