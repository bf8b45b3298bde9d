"""What the web app reads and writes in the store beyond :mod:`digest.store.subscribers`:
subscribers by id, sign-ups, region choices, and provider events seen once.

Status changes go through :func:`digest.store.subscribers.set_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from digest.store import Store
from digest.store.schema import subscribers, webhook_events
from digest.store.subscribers import add_subscriber, get_subscriber, row_to_subscriber, set_status
from digest.subscribers import (
    Subscriber,
    SubscriberError,
    check_locale,
    format_editions,
    format_regions,
)

# How strongly a status keeps mail away; provider events never lower it, so a
# late "unsubscribe" cannot hide a spam complaint.
_SUPPRESSION = {"unsubscribed": 1, "bounced": 2, "complained": 3}


@dataclass(frozen=True, slots=True)
class SignUp:
    """What the sign-up form asked for, already validated."""

    email: str
    name: str | None
    regions: frozenset[str] | None
    locale: str
    editions: frozenset[str] | None = None  # None: the configured default
    first_name: str | None = None


def subscriber_by_id(store: Store, subscriber_id: int) -> Subscriber | None:
    with store.begin() as conn:
        row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return row_to_subscriber(row) if row is not None else None


def check_database(store: Store) -> None:
    """A trivial query; raises StoreError when the database does not answer."""
    with store.begin() as conn:
        conn.execute(text("SELECT 1"))


def record_sign_up(store: Store, wanted: SignUp, *, now: datetime) -> Subscriber:
    """The subscriber for a sign-up: a new ``pending`` one, or the known one.

    A known address that is not receiving mail takes the new name and regions
    (they only take effect once the owner confirms); an active subscriber is
    left as it is — only the owner may change it, from the preferences page.
    """
    known = get_subscriber(store, wanted.email)
    if known is None:
        try:
            return add_subscriber(
                store,
                wanted.email,
                name=wanted.name,
                locale=wanted.locale,
                regions=wanted.regions,
                now=now,
                editions=wanted.editions,
                first_name=wanted.first_name,
            )
        except (SubscriberError, IntegrityError):  # the same address, at the same moment
            known = get_subscriber(store, wanted.email)
            if known is None:
                raise
    if known.status == "active":
        return known
    return update_choice(
        store,
        known.id,
        regions=wanted.regions,
        name=wanted.name,
        now=now,
        editions=wanted.editions,
        locale=wanted.locale,
        first_name=wanted.first_name,
    )


def update_choice(
    store: Store,
    subscriber_id: int,
    *,
    regions: frozenset[str] | None,
    name: str | None,
    now: datetime,
    editions: frozenset[str] | None = None,
    locale: str | None = None,
    first_name: str | None = None,
) -> Subscriber:
    """Store a new region choice (None = everything), name and first name (both
    forms that call this have the two fields); and the edition choice and
    language when given (None leaves them as they are)."""
    values: dict[str, object] = {
        "regions": format_regions(regions),
        "name": name,
        "first_name": first_name,
        "updated_at": now.astimezone(UTC),
    }
    if editions is not None:
        values["editions"] = format_editions(editions)
    if locale is not None:
        values["locale"] = check_locale(locale)
    with store.begin() as conn:
        conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(values))
    changed = subscriber_by_id(store, subscriber_id)
    if changed is None:
        raise SubscriberError(f"subscriber {subscriber_id} is gone; it was removed meanwhile")
    return changed


def event_seen(store: Store, event_id: str) -> bool:
    with store.begin() as conn:
        query = select(webhook_events.c.event_id).where(webhook_events.c.event_id == event_id)
        return conn.execute(query).first() is not None


def remember_event(store: Store, event_id: str, event: str, email: str, *, now: datetime) -> None:
    """Note an event as handled; a second note of the same id is a no-op."""
    row = {"event_id": event_id, "event": event[:32], "email": email[:320], "received_at": now}
    try:
        with store.begin() as conn:
            conn.execute(insert(webhook_events).values(row))
    except IntegrityError:  # the same event, delivered twice at once
        return


def apply_event(store: Store, email: str, status: str, *, now: datetime) -> Subscriber | None:
    """Mark the subscriber with ``email`` as ``status`` unless they are already
    suppressed as strongly; None when the address is not a subscriber."""
    found = get_subscriber(store, email)
    if found is None:
        return None
    if _SUPPRESSION.get(found.status, 0) >= _SUPPRESSION.get(status, 0):
        return found
    return set_status(store, email, status, now=now)
