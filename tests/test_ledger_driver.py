"""The ledger's claim, mark and record as run on the driver (SQLite, PostgreSQL) take,
return and write exactly what the portable SQLAlchemy statements do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from digest.deliver import Outcome, Result, ledger
from digest.deliver import plan as plan_module
from digest.store import Store
from digest.store.schema import deliveries
from digest.store.subscribers import list_subscribers, set_editions, set_status
from tests.delivery_helpers import SLOT, add_readers, make_edition, record

EDITION = "ochtend-2026-01-21T0700"


def _set_up(store: Store) -> list[int]:
    record(store, make_edition())
    add_readers(store, 14)
    readers = list_subscribers(store)
    later = SLOT + timedelta(minutes=1)
    set_editions(store, readers[1].email, frozenset({"avond"}), now=later)
    set_editions(store, readers[2].email, frozenset({"ochtend", "weekly"}), now=later)
    set_editions(store, readers[3].email, frozenset({"weekly"}), now=later)
    set_status(store, readers[4].email, "unsubscribed", now=later)
    return [r.id for r in readers]


def _plan(store: Store, ids: list[int]) -> None:
    with store.begin() as conn:
        conn.execute(delete(deliveries))
    rows = [plan_module.PlanRow(i, "nl:*" if i % 3 else "en:*") for i in ids]
    plan_module.plan_rows(store, EDITION, rows)


def _run(store: Store, ids: list[int]) -> tuple[list[Any], list[Any]]:
    """Claims of every kind, marks, then records of every outcome: what they
    returned, and the ledger."""
    now = SLOT + timedelta(minutes=5)
    claim = ledger.claim
    claims = [
        claim(store, EDITION, "nl:*", owner="a#1", limit=4, now=now, edition_name="ochtend"),
        claim(store, EDITION, "nl:*", owner="a#2", limit=3, now=now, into=ledger.SENDING),
        claim(store, EDITION, "en:*", owner="a#3", limit=9, now=now, only=ids[6]),
        claim(store, EDITION, "en:*", owner="a#4", limit=1, now=now, only=ids[7]),  # not en
        claim(
            store, EDITION, "nl:*", owner="b#1", limit=9, now=now, edition_name="weekly",
            opt_in=True, into=ledger.SENDING,
        ),
        claim(store, EDITION, "en:*", owner="b#2", limit=50, now=now, edition_name="ochtend"),
        claim(store, EDITION, "en:*", owner="b#3", limit=50, now=now),  # none left
    ]  # fmt: skip
    taken = [c.subscriber_id for claimed in claims for c in claimed]
    assert len(taken) == len(set(taken)) == len(ids)
    held = [c.subscriber_id for c in claims[0]]
    sending = [c.subscriber_id for c in claims[1]]
    marks = [
        ledger.mark_sending(store, EDITION, held[:2], "b#9"),  # not its owner's
        ledger.mark_sending(store, EDITION, [held[2], sending[0]], "a#1"),  # one is sending
        ledger.mark_sending(store, EDITION, held[:3], "a#1"),
        ledger.mark_sending(store, EDITION, held[2:], "a#1"),  # one is sending now
    ]
    assert marks == [False, False, True, False]
    first, second = taken[:4], taken[4:]
    ledger.record(
        store, EDITION, {sid: Result(Outcome.SENT, provider_id="sg-1") for sid in first}, now=now
    )
    outcomes = [
        Result(Outcome.SENT),  # no provider id
        Result(Outcome.FAILED, "refused: " + "x" * 3000),  # cut to 2000
        Result(Outcome.SANDBOX, "sandbox"),
        Result(Outcome.RETRY, "try again"),
        Result(Outcome.UNCERTAIN, "lost answer"),
    ]
    results = {sid: outcomes[k % len(outcomes)] for k, sid in enumerate(second)}
    results[first[0]] = Result(Outcome.UNCERTAIN, "late")  # sent already: stays sent
    ledger.record(store, EDITION, results, now=now + timedelta(seconds=1))
    with store.begin() as conn:
        rows = conn.execute(select(deliveries).order_by(deliveries.c.subscriber_id)).all()
    return claims, [tuple(row) for row in rows]


def test_driver_claims_and_records_equal_the_portable_statements(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.dialect in ledger._DRIVER_CLAIMS  # the path under test
    ids = _set_up(store)
    _plan(store, ids)
    driven = _run(store, ids)
    _plan(store, ids)
    monkeypatch.setattr(ledger, "_DRIVER_CLAIMS", {})
    portable = _run(store, ids)
    assert driven == portable
    claims, rows = driven
    assert {c.subscriber_id: c.chooses for c in claims[0]}[ids[1]] is False  # chose "avond"
    assert [c.status for c in claims[0]].count("unsubscribed") == 1
    assert {r[3] for r in rows} == {"sent", "failed", "sandbox", "claimed", "uncertain"}
    assert max(len(r[-1] or "") for r in rows) == 2000
