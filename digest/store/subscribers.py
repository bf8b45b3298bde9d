"""Subscribers in the store: add, look up, list, stream, change status, remove.

Addresses arrive normalised (:func:`digest.subscribers.normalise_address`);
region choices are stored comma-separated, NULL meaning all regions; edition
choices likewise, NULL meaning every edition (subscribers from before the choice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from digest.store import Store
from digest.store.schema import as_utc, deliveries, subscribers
from digest.subscribers import (
    ImportRow,
    Subscriber,
    SubscriberError,
    check_locale,
    check_status,
    format_editions,
    format_regions,
    read_editions,
    read_regions,
)

CHUNK = 2000


def row_to_subscriber(row: Row[Any]) -> Subscriber:
    return Subscriber(
        id=row.id,
        email=row.email,
        name=row.name,
        locale=row.locale,
        regions=read_regions(row.regions),
        status=row.status,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        updated_at=as_utc(row.updated_at),  # type: ignore[arg-type]
        confirmed_at=as_utc(row.confirmed_at),
        unsubscribed_at=as_utc(row.unsubscribed_at),
        editions=read_editions(row.editions),
        first_name=row.first_name,
    )


def _values(
    email: str,
    *,
    name: str | None,
    locale: str,
    regions: frozenset[str] | None,
    status: str,
    now: datetime,
    editions: frozenset[str] | None = None,
    first_name: str | None = None,
) -> dict[str, Any]:
    now = now.astimezone(UTC)
    return {
        "email": email,
        "name": name,
        "first_name": first_name,
        "locale": check_locale(locale),
        "regions": format_regions(regions),
        "editions": format_editions(editions),
        "status": check_status(status),
        "created_at": now,
        "updated_at": now,
        "confirmed_at": now if status == "active" else None,
    }


def _by_email(conn: Connection, email: str) -> Subscriber | None:
    row = conn.execute(select(subscribers).where(subscribers.c.email == email)).first()
    return row_to_subscriber(row) if row is not None else None


def add_subscriber(
    store: Store,
    email: str,
    *,
    name: str | None = None,
    locale: str = "nl",
    regions: frozenset[str] | None = None,
    status: str = "pending",
    now: datetime,
    editions: frozenset[str] | None = None,
    first_name: str | None = None,
) -> Subscriber:
    """Add one subscriber; SubscriberError when the address is already known.

    ``editions`` is the reader's choice; callers pass the configured default
    when the reader made none (None stores "every edition")."""
    values = _values(
        email,
        name=name,
        locale=locale,
        regions=regions,
        status=status,
        now=now,
        editions=editions,
        first_name=first_name,
    )
    with store.begin() as conn:
        existing = _by_email(conn, email)
        if existing is not None:
            raise SubscriberError(f"{email} is already a subscriber (status {existing.status})")
        conn.execute(insert(subscribers).values(**values))
        added = _by_email(conn, email)
    assert added is not None
    return added


def subscribers_by_email(store: Store, emails: Iterable[str]) -> list[Subscriber]:
    """The subscribers with these addresses (unknown ones left out), by id."""
    wanted, found = sorted(set(emails)), []
    for start in range(0, len(wanted), CHUNK):
        query = select(subscribers).where(subscribers.c.email.in_(wanted[start : start + CHUNK]))
        with store.begin() as conn:
            found += [row_to_subscriber(row) for row in conn.execute(query)]
    return sorted(found, key=lambda s: s.id)


def get_subscriber(store: Store, email: str) -> Subscriber | None:
    with store.begin() as conn:
        return _by_email(conn, email)


def list_subscribers(store: Store, status: str | None = None) -> list[Subscriber]:
    """Every subscriber (with ``status``, if given), oldest first."""
    return list(stream_subscribers(store, status=status))


def stream_subscribers(
    store: Store, *, status: str | None = None, chunk: int = CHUNK
) -> Iterator[Subscriber]:
    """Subscribers in id order, read ``chunk`` at a time (one short transaction each),
    so a list of any size streams in bounded memory."""
    last = 0
    while True:
        query = select(subscribers).where(subscribers.c.id > last)
        if status is not None:
            query = query.where(subscribers.c.status == check_status(status))
        with store.begin() as conn:
            rows = conn.execute(query.order_by(subscribers.c.id).limit(chunk)).all()
        yield from (row_to_subscriber(row) for row in rows)
        if len(rows) < chunk:
            return
        last = rows[-1].id


@dataclass(frozen=True, slots=True)
class SubscriberChoice:
    """What segmenting needs of a subscriber: who, which regions, which language
    (and which editions, to leave out the editions they did not choose)."""

    id: int
    regions: frozenset[str] | None
    locale: str
    editions: frozenset[str] | None = None


def stream_choices(
    store: Store, *, status: str = "active", chunk: int = 5000
) -> Iterator[SubscriberChoice]:
    """Like :func:`stream_subscribers`, reading only id, regions, locale and editions (fast)."""
    columns = select(
        subscribers.c.id, subscribers.c.regions, subscribers.c.locale, subscribers.c.editions
    )
    query = columns.where(subscribers.c.status == check_status(status))
    choices: dict[str | None, frozenset[str] | None] = {}  # a few hundred distinct values
    last = 0
    while True:
        with store.begin() as conn:
            rows = conn.execute(
                query.where(subscribers.c.id > last).order_by(subscribers.c.id).limit(chunk)
            ).all()
        for i, stored, locale, editions in rows:
            if stored not in choices:
                choices[stored] = read_regions(stored)
            yield SubscriberChoice(i, choices[stored], locale, read_editions(editions))
        if len(rows) < chunk:
            return
        last = rows[-1][0]


def chooses(edition: str, *, opt_in: bool = False) -> Any:
    """A condition on ``subscribers``: the row chose the edition named ``edition``
    (or is from before edition choices, NULL: every regular edition; an
    ``opt_in`` edition, weekly or Extra editie, only goes to those who chose it)."""
    listed = ("," + subscribers.c.editions + ",").like(f"%,{edition},%")
    if opt_in:
        return and_(subscribers.c.editions.is_not(None), listed)
    return or_(subscribers.c.editions.is_(None), listed)


def set_editions(
    store: Store, email: str, editions: frozenset[str], *, now: datetime
) -> Subscriber:
    """Store a new edition choice for ``email``."""
    with store.begin() as conn:
        found = _by_email(conn, email)
        if found is None:
            raise SubscriberError(f"{email} is not a subscriber")
        values = {"editions": format_editions(editions), "updated_at": now.astimezone(UTC)}
        conn.execute(update(subscribers).where(subscribers.c.id == found.id).values(**values))
        changed = _by_email(conn, email)
    assert changed is not None
    return changed


def count_subscribers(store: Store) -> dict[str, int]:
    """How many subscribers have each status."""
    query = select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
    with store.begin() as conn:
        return {status: int(n) for status, n in conn.execute(query).all()}


def set_status(store: Store, email: str, status: str, *, now: datetime) -> Subscriber:
    """Change a subscriber's status; the confirm/unsubscribe times follow it."""
    now = now.astimezone(UTC)
    values: dict[str, Any] = {"status": check_status(status), "updated_at": now}
    if status == "active":
        values["unsubscribed_at"] = None
    if status == "unsubscribed":
        values["unsubscribed_at"] = now
    with store.begin() as conn:
        found = _by_email(conn, email)
        if found is None:
            raise SubscriberError(f"{email} is not a subscriber")
        if status == "active" and found.confirmed_at is None:
            values["confirmed_at"] = now
        conn.execute(update(subscribers).where(subscribers.c.id == found.id).values(**values))
        changed = _by_email(conn, email)
    assert changed is not None
    return changed


def remove_subscriber(store: Store, email: str) -> bool:
    """Delete a subscriber and their delivery records; False when unknown."""
    with store.begin() as conn:
        found = _by_email(conn, email)
        if found is None:
            return False
        conn.execute(delete(deliveries).where(deliveries.c.subscriber_id == found.id))
        conn.execute(delete(subscribers).where(subscribers.c.id == found.id))
    return True


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What an import did: rows added, and rows whose address was already known."""

    added: int
    existing: int
    added_emails: tuple[str, ...] = ()


def import_subscribers(
    store: Store,
    rows: Iterable[ImportRow],
    *,
    locale: str = "nl",
    status: str = "active",
    now: datetime,
    editions: frozenset[str] | None = None,
) -> ImportCounts:
    """Add the rows whose address is new; known addresses are left untouched
    (an import never resubscribes someone who left or changes their choice).
    A row without editions gets ``editions`` (the configured default)."""
    existing = 0
    added: list[str] = []
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            a, e = _import_chunk(store, batch, locale, status, now, editions)
            added.extend(a)  # not ``added + a``: that copied every address per chunk
            existing, batch = existing + e, []
    if batch:
        a, e = _import_chunk(store, batch, locale, status, now, editions)
        added.extend(a)
        existing += e
    return ImportCounts(len(added), existing, tuple(added))


def _import_chunk(
    store: Store,
    rows: list[ImportRow],
    locale: str,
    status: str,
    now: datetime,
    editions: frozenset[str] | None,
) -> tuple[list[str], int]:
    emails = [row.email for row in rows]
    with store.begin() as conn:
        query = select(subscribers.c.email).where(subscribers.c.email.in_(emails))
        known = set(conn.execute(query).scalars())
        new = [
            _values(
                row.email,
                name=row.name,
                locale=row.locale or locale,
                regions=row.regions,
                status=status,
                now=now,
                editions=row.editions if row.editions is not None else editions,
                first_name=row.first_name,
            )
            for row in rows
            if row.email not in known
        ]
        if new:
            conn.execute(insert(subscribers), new)
    return [values["email"] for values in new], len(rows) - len(new)
