"""What the site's recorded editions already carried: the timeline new editions continue.

Every edition of a site, of any name, ends its window at a moment (its cut);
the next edition starts at the latest cut before its own. Stories carried by
an earlier edition are looked up with the text that edition showed, so that
an edition brings a story again only when it changed, and says what changed.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from digest.model import Carried, Edition
from digest.store import Store
from digest.store.schema import edition_stories, editions

_CHUNK = 500  # story ids per IN (...) list


def latest_cut(
    store: Store, *, until: datetime, other_than: str, names: Collection[str] | None = None
) -> datetime | None:
    """The latest window end, no later than ``until``, of the recorded editions
    (of ``names``, the site's timeline, when given) other than ``other_than``;
    ``None`` before a site's first edition."""
    query = select(func.max(editions.c.window_end)).where(
        editions.c.window_end <= until.astimezone(UTC), editions.c.id != other_than
    )
    if names is not None:
        query = query.where(editions.c.name.in_(sorted(names)))
    with store.begin() as conn:
        found = conn.execute(query).scalar_one_or_none()
    return found if isinstance(found, datetime) else None


def carried_stories(
    store: Store,
    story_ids: Collection[str],
    *,
    other_than: str,
    names: Collection[str] | None = None,
) -> dict[str, Carried]:
    """For each of ``story_ids`` that a recorded edition (not ``other_than``; of
    ``names`` when given) carried: the latest such edition's window end and the
    text it showed."""
    latest: dict[str, tuple[datetime, str]] = {}
    ids = sorted(set(story_ids))
    with store.begin() as conn:
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(edition_stories.c.story_id, editions.c.window_end, editions.c.id)
                .join(editions, editions.c.id == edition_stories.c.edition_id)
                .where(
                    edition_stories.c.story_id.in_(ids[start : start + _CHUNK]),
                    editions.c.id != other_than,
                )
            )
            if names is not None:
                query = query.where(editions.c.name.in_(sorted(names)))
            for story_id, end, edition_id in conn.execute(query):
                if story_id not in latest or end > latest[story_id][0]:
                    latest[story_id] = (end, edition_id)
        shown = _as_carried(conn, {edition_id for _, edition_id in latest.values()})
    return {
        story_id: Carried(end, *shown.get((edition_id, story_id), ("", None)))
        for story_id, (end, edition_id) in latest.items()
    }


def _as_carried(conn: Connection, edition_ids: set[str]) -> dict[tuple[str, str], tuple[str, int]]:
    """(edition id, story id) -> the story's text and revision as that edition stored it."""
    if not edition_ids:
        return {}
    query = select(editions.c.id, editions.c.payload).where(editions.c.id.in_(sorted(edition_ids)))
    found: dict[tuple[str, str], tuple[str, int]] = {}
    for edition_id, payload in conn.execute(query):
        for story in json.loads(payload)["stories"]:
            found[(edition_id, story["id"])] = (story["text"], story["revisions"])
    return found


def first_of_its_day(store: Store, edition: Edition) -> bool:
    """No recorded edition of the same name has an earlier slot on the same local
    day (the archive gives such a second edition an address with its time)."""
    local = edition.local_slot
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(func.count()).where(
        editions.c.name == edition.name,
        editions.c.slot >= day_start.astimezone(UTC),
        editions.c.slot < edition.slot.astimezone(UTC),
    )
    with store.begin() as conn:
        return int(conn.execute(query).scalar_one()) == 0


def reported_in(
    store: Store, story_ids: Collection[str], names: Collection[str]
) -> dict[str, datetime]:
    """For each of ``story_ids`` that an edition of ``names`` (the Extra editie)
    carried: the slot of the first such edition ("al gemeld om 10:07")."""
    found: dict[str, datetime] = {}
    ids = sorted(set(story_ids))
    if not names:
        return found
    with store.begin() as conn:
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(edition_stories.c.story_id, editions.c.slot)
                .join(editions, editions.c.id == edition_stories.c.edition_id)
                .where(
                    edition_stories.c.story_id.in_(ids[start : start + _CHUNK]),
                    editions.c.name.in_(sorted(names)),
                )
            )
            for story_id, slot in conn.execute(query):
                slot = slot.replace(tzinfo=UTC) if slot.tzinfo is None else slot
                if story_id not in found or slot < found[story_id]:
                    found[story_id] = slot
    return found


def editions_between(store: Store, name: str, start: datetime, end: datetime) -> int:
    """How many editions of ``name`` have a slot in ``[start, end)`` (a day's cap)."""
    query = select(func.count()).where(
        editions.c.name == name,
        editions.c.slot >= start.astimezone(UTC),
        editions.c.slot < end.astimezone(UTC),
    )
    with store.begin() as conn:
        return int(conn.execute(query).scalar_one())
