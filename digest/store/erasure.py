"""A reader's own data: everything stored about them, their erasure, the
suppression that keeps an erased address out of later imports, and the
pruning of sign-ups never confirmed.

Erasure deletes the subscriber row, their delivery ledger rows and the
provider events about their address. What remains: a keyed hash of the
address in ``suppressions`` (so an import cannot add it back; the owner can
sign up again themselves, and confirming lifts it), and their consent log
entries, which name them only by keyed hashes and are kept as the record of
the consent given and withdrawn (the log is append-only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from digest.store import Store
from digest.store.consent import ConsentKeys, entries_for
from digest.store.schema import deliveries, subscribers, suppressions, webhook_events
from digest.store.subscribers import row_to_subscriber
from digest.subscribers import Subscriber


def personal_data(store: Store, subscriber: Subscriber, keys: ConsentKeys) -> dict[str, Any]:
    """Everything stored about ``subscriber``, as JSON-ready values."""
    ledger = select(
        deliveries.c.edition_id,
        deliveries.c.status,
        deliveries.c.sent_at,
        deliveries.c.message_id,
        deliveries.c.error,
    ).where(deliveries.c.subscriber_id == subscriber.id)
    events = select(webhook_events.c.event, webhook_events.c.received_at).where(
        webhook_events.c.email == subscriber.email
    )
    with store.begin() as conn:
        sent = conn.execute(ledger.order_by(deliveries.c.edition_id)).all()
        seen = conn.execute(events.order_by(webhook_events.c.received_at)).all()
    return {
        "subscriber": subscriber.to_json(),
        "deliveries": [
            {
                "edition": edition,
                "status": status,
                "sent_at": when.isoformat() if when else None,
                "message_id": message_id,
                "error": error,
            }
            for edition, status, when, message_id, error in sent
        ],
        "provider_events": [{"event": e, "received_at": at.isoformat()} for e, at in seen],
        "consent_log": [e.to_json() for e in entries_for(store, keys, subscriber.email)],
    }


def erase(store: Store, subscriber: Subscriber, keys: ConsentKeys, *, now: datetime) -> None:
    """Delete everything about ``subscriber`` but the suppression hash and the consent log."""
    with store.begin() as conn:
        conn.execute(delete(deliveries).where(deliveries.c.subscriber_id == subscriber.id))
        conn.execute(delete(webhook_events).where(webhook_events.c.email == subscriber.email))
        conn.execute(delete(subscribers).where(subscribers.c.id == subscriber.id))
    try:
        with store.begin() as conn:
            row = {"address_hash": keys.address_hash(subscriber.email), "erased_at": now}
            conn.execute(insert(suppressions).values(row))
    except IntegrityError:  # erased before (and signed up again since)
        pass


def suppressed(store: Store, keys: ConsentKeys, emails: Iterable[str]) -> set[str]:
    """Those of ``emails`` that were erased at their owner's request."""
    by_hash = {keys.address_hash(email): email for email in emails}
    found: set[str] = set()
    hashes = sorted(by_hash)
    for start in range(0, len(hashes), 2000):
        query = select(suppressions.c.address_hash).where(
            suppressions.c.address_hash.in_(hashes[start : start + 2000])
        )
        with store.begin() as conn:
            found |= {by_hash[h] for h in conn.execute(query).scalars()}
    return found


def lift_suppression(store: Store, keys: ConsentKeys, email: str) -> None:
    """The owner confirmed a new sign-up: imports may list the address again."""
    with store.begin() as conn:
        conn.execute(
            delete(suppressions).where(suppressions.c.address_hash == keys.address_hash(email))
        )


def prune_pending(store: Store, *, before: datetime) -> list[Subscriber]:
    """Delete the sign-ups still unconfirmed that were made before ``before``."""
    query = select(subscribers).where(
        subscribers.c.status == "pending", subscribers.c.created_at < before.astimezone(UTC)
    )
    with store.begin() as conn:
        gone = [row_to_subscriber(row) for row in conn.execute(query)]
        ids = [s.id for s in gone]
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            conn.execute(delete(deliveries).where(deliveries.c.subscriber_id.in_(part)))
            conn.execute(delete(subscribers).where(subscribers.c.id.in_(part)))
    return gone
