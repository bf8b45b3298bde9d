"""Uncertain hand-overs resolved without a person.

A row is ``uncertain`` when it was handed to the provider and no answer came
(a timeout, a killed run). Two things settle it:

* **What the provider tells us.** SendGrid's event webhook reports every
  message with the ``custom_args`` we sent (``edition_id``, ``subscriber_id``).
  A ``processed``, ``delivered``, ``deferred``, ``bounce`` or ``dropped`` event
  proves SendGrid accepted that message, so the row is ``sent``.
  :func:`settle_from_event` records that, also for a row still ``sending``
  (the event can arrive before a dead run's rows are recovered).
* **Time.** A row that nothing settled within ``[delivery]
  resend_uncertain_after`` is resent once (:func:`resend_overdue`), with the
  same Message-ID. After that one resend it stays uncertain for a person
  (``digest send --retry-uncertain``); the worst case is one duplicate per
  row whose events never came.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from digest.deliver.ledger import PENDING, SENDING, SENT, UNCERTAIN
from digest.store import Store
from digest.store.schema import deliveries

#: SendGrid events that prove it accepted the message.
ACCEPTED_EVENTS = frozenset({"processed", "delivered", "deferred", "bounce", "dropped"})
MAX_RESENDS = 1


def event_row(event: Mapping[str, Any]) -> tuple[str, int] | None:
    """(edition_id, subscriber_id) named by an event's custom_args, if it settles one."""
    if str(event.get("event", "")) not in ACCEPTED_EVENTS:
        return None
    edition_id, subscriber = event.get("edition_id"), event.get("subscriber_id")
    if not isinstance(edition_id, str) or not edition_id or len(edition_id) > 64:
        return None
    try:
        subscriber_id = int(str(subscriber))
    except ValueError:
        return None
    return edition_id, subscriber_id


def settle_from_event(store: Store, event: Mapping[str, Any], *, now: datetime) -> bool:
    """Mark the uncertain (or still sending) row an accepting event names as sent;
    whether one changed. Rows in any other state are left alone."""
    named = event_row(event)
    if named is None:
        return False
    edition_id, subscriber_id = named
    query = (
        update(deliveries)
        .where(
            deliveries.c.edition_id == edition_id,
            deliveries.c.subscriber_id == subscriber_id,
            deliveries.c.status.in_([UNCERTAIN, SENDING]),
        )
        .values(
            status=SENT,
            sent_at=now.astimezone(UTC),
            error=f"settled by the provider's {event['event']!s} event",
        )
    )
    with store.begin() as conn:
        return bool(conn.execute(query).rowcount)


def resend_overdue(store: Store, edition_id: str, *, now: datetime, wait: timedelta) -> int:
    """Uncertain rows handed over more than ``wait`` ago, not resent yet, become
    pending again (counted as resent); how many."""
    cutoff = now.astimezone(UTC) - wait
    query = (
        update(deliveries)
        .where(
            deliveries.c.edition_id == edition_id,
            deliveries.c.status == UNCERTAIN,
            deliveries.c.resends < MAX_RESENDS,
            deliveries.c.claimed_at <= cutoff,
        )
        .values(status=PENDING, claimed_by=None, resends=deliveries.c.resends + 1)
    )
    with store.begin() as conn:
        return int(conn.execute(query).rowcount)


def waiting(store: Store, edition_id: str) -> int:
    """Uncertain rows still to be settled by an event or the one resend."""
    query = select(func.count()).where(
        deliveries.c.edition_id == edition_id,
        deliveries.c.status == UNCERTAIN,
        deliveries.c.resends < MAX_RESENDS,
    )
    with store.begin() as conn:
        return int(conn.execute(query).scalar_one())
