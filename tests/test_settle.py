"""Uncertain hand-overs settled by provider events, or resent once after the wait."""

from __future__ import annotations

from datetime import timedelta

from digest.deliver import Outcome, Result, ledger, settle
from digest.deliver.plan import PlanRow, plan_rows
from digest.store import Store
from digest.store.subscribers import list_subscribers
from tests.delivery_helpers import SLOT, add_readers, make_edition, record

EDITION = "ochtend-2026-01-21T0700"


def uncertain_rows(store: Store, n: int) -> list[int]:
    """``n`` rows handed over at SLOT without an answer."""
    record(store, make_edition())
    add_readers(store, n)
    ids = [s.id for s in list_subscribers(store)]
    plan_rows(store, EDITION, [PlanRow(i, "nl:*", ledger.PENDING, None) for i in ids])
    claimed = ledger.claim(store, EDITION, "nl:*", owner="o", limit=n, now=SLOT)
    ledger.mark_sending(store, EDITION, [c.subscriber_id for c in claimed], "o")
    ledger.record(
        store, EDITION, {i: Result(Outcome.UNCERTAIN, "no answer") for i in ids}, now=SLOT
    )
    return ids


def event(kind: str, subscriber_id: int | str, edition_id: str = EDITION) -> dict[str, object]:
    return {"event": kind, "email": "x@example.org", "edition_id": edition_id,
            "subscriber_id": str(subscriber_id)}  # fmt: skip


def test_an_accepting_event_settles_its_uncertain_row_as_sent(store: Store) -> None:
    ids = uncertain_rows(store, 6)
    kinds = ["processed", "delivered", "deferred", "bounce", "dropped"]
    for sid, kind in zip(ids, kinds, strict=False):
        assert settle.settle_from_event(store, event(kind, sid), now=SLOT)
    assert ledger.counts(store, EDITION) == {"sent": 5, "uncertain": 1}
    assert not settle.settle_from_event(store, event("processed", ids[0]), now=SLOT)  # once


def test_other_events_and_other_rows_are_left_alone(store: Store) -> None:
    ids = uncertain_rows(store, 2)
    assert not settle.settle_from_event(store, event("open", ids[0]), now=SLOT)
    assert not settle.settle_from_event(store, event("processed", "x"), now=SLOT)
    assert not settle.settle_from_event(store, event("processed", ids[0], "other"), now=SLOT)
    assert not settle.settle_from_event(store, {"event": "processed"}, now=SLOT)
    assert ledger.counts(store, EDITION) == {"uncertain": 2}


def test_a_row_nothing_settled_is_resent_once_after_the_wait(store: Store) -> None:
    ids = uncertain_rows(store, 2)
    wait = timedelta(hours=1)
    assert settle.waiting(store, EDITION) == 2
    assert settle.resend_overdue(store, EDITION, now=SLOT + timedelta(minutes=59), wait=wait) == 0
    assert settle.resend_overdue(store, EDITION, now=SLOT + wait, wait=wait) == 2
    assert ledger.counts(store, EDITION) == {"pending": 2}
    later = SLOT + 2 * wait  # the resend is uncertain again: no second automatic resend
    claimed = ledger.claim(store, EDITION, "nl:*", owner="p", limit=2, now=later)
    ledger.mark_sending(store, EDITION, [c.subscriber_id for c in claimed], "p")
    ledger.record(store, EDITION, {i: Result(Outcome.UNCERTAIN, "again") for i in ids}, now=later)
    assert settle.waiting(store, EDITION) == 0
    assert settle.resend_overdue(store, EDITION, now=later + 9 * wait, wait=wait) == 0
    assert ledger.counts(store, EDITION) == {"uncertain": 2}


def test_a_late_no_answer_does_not_undo_a_settled_row(store: Store) -> None:
    ids = uncertain_rows(store, 1)
    ledger.reopen(store, EDITION, retry_uncertain=True)
    claimed = ledger.claim(store, EDITION, "nl:*", owner="q", limit=1, now=SLOT)
    ledger.mark_sending(store, EDITION, [c.subscriber_id for c in claimed], "q")
    assert settle.settle_from_event(store, event("processed", ids[0]), now=SLOT)  # still sending
    ledger.record(store, EDITION, {ids[0]: Result(Outcome.UNCERTAIN, "timeout")}, now=SLOT)
    assert ledger.counts(store, EDITION) == {"sent": 1}
