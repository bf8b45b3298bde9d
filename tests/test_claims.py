"""The edition ledger: one run per slot, stale claims taken over, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from digest.ingest.load import ingest_lock
from digest.schedule.claims import (
    ClaimLostError,
    claim_slot,
    finish_claim,
    get_claim,
    heartbeat,
    list_claims,
)
from digest.schedule.slots import Slot
from digest.store import Store, open_store

NOW = datetime(2026, 1, 21, 6, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
SLOT = Slot("ochtend", datetime(2026, 1, 21, 7, 0), NOW)


def test_the_first_claim_wins_and_the_second_run_sees_who_has_it(store: Store) -> None:
    first = claim_slot(store, SLOT, "host-a:1", now=NOW, lease=LEASE)
    second = claim_slot(store, SLOT, "host-b:2", now=NOW, lease=LEASE)
    assert first.won and not first.resumed
    assert not second.won
    assert second.claim.owner == "host-a:1" and second.claim.status == "running"
    assert get_claim(store, SLOT.key) == first.claim


def test_a_finished_slot_is_not_run_again_unless_forced(store: Store) -> None:
    claim = claim_slot(store, SLOT, "a", now=NOW, lease=LEASE).claim
    finish_claim(store, claim, "done", NOW, edition_id="ochtend-2026-01-21T0700")
    later = NOW + timedelta(days=1)
    again = claim_slot(store, SLOT, "b", now=later, lease=LEASE)
    assert not again.won and again.claim.status == "done"
    forced = claim_slot(store, SLOT, "c", now=later, lease=LEASE, force=True)
    assert forced.won and forced.resumed and forced.claim.owner == "c"
    assert forced.claim.edition_id == "ochtend-2026-01-21T0700"


def test_a_claim_whose_heartbeat_stopped_is_taken_over_after_the_lease(store: Store) -> None:
    claim_slot(store, SLOT, "killed", now=NOW, lease=LEASE)
    early = claim_slot(store, SLOT, "next", now=NOW + LEASE - timedelta(seconds=1), lease=LEASE)
    assert not early.won
    late = claim_slot(store, SLOT, "next", now=NOW + LEASE + timedelta(seconds=1), lease=LEASE)
    assert late.won and late.resumed
    assert late.previous is not None and late.previous.owner == "killed"


def test_a_claim_of_a_dead_process_is_taken_over_at_once(store: Store) -> None:
    claim_slot(store, SLOT, "here:4242:dead", now=NOW, lease=LEASE)
    soon = NOW + timedelta(seconds=5)
    live = claim_slot(store, SLOT, "b", now=soon, lease=LEASE, alive=lambda owner: True)
    assert not live.won
    dead = claim_slot(store, SLOT, "b", now=soon, lease=LEASE, alive=lambda owner: False)
    assert dead.won and dead.previous is not None and dead.previous.owner == "here:4242:dead"


def test_a_live_claim_is_never_taken_even_when_forced(store: Store) -> None:
    claim = claim_slot(store, SLOT, "a", now=NOW, lease=LEASE).claim
    heartbeat(store, claim, NOW + timedelta(minutes=9), status="delivering")
    forced = claim_slot(store, SLOT, "b", now=NOW + timedelta(minutes=12), lease=LEASE, force=True)
    assert not forced.won and forced.claim.status == "delivering"


def test_a_failed_claim_is_resumed_by_the_next_run(store: Store) -> None:
    claim = claim_slot(store, SLOT, "a", now=NOW, lease=LEASE).claim
    finish_claim(store, claim, "failed", NOW, message="SMTP server refused")
    resumed = claim_slot(store, SLOT, "b", now=NOW + timedelta(minutes=1), lease=LEASE)
    assert resumed.won and resumed.previous is not None
    assert resumed.previous.message == "SMTP server refused"


def test_the_run_that_lost_its_claim_cannot_write_to_it(store: Store) -> None:
    old = claim_slot(store, SLOT, "slow", now=NOW, lease=LEASE).claim
    claim_slot(store, SLOT, "new", now=NOW + 2 * LEASE, lease=LEASE)
    with pytest.raises(ClaimLostError, match="ochtend@2026-01-21T07:00"):
        heartbeat(store, old, NOW + 2 * LEASE)
    with pytest.raises(ClaimLostError):
        finish_claim(store, old, "done", NOW + 2 * LEASE)
    current = get_claim(store, SLOT.key)
    assert current is not None and current.owner == "new" and current.status == "running"


def test_finishing_records_status_time_and_edition(store: Store) -> None:
    claim = claim_slot(store, SLOT, "a", now=NOW, lease=LEASE).claim
    done = finish_claim(store, claim, "skipped", NOW + timedelta(minutes=2), message="too few")
    assert done.status == "skipped" and done.message == "too few"
    assert done.finished_at == NOW + timedelta(minutes=2)
    assert list_claims(store, "ochtend") == [done]
    assert list_claims(store, "avond") == []


def test_many_runs_claiming_at_once_give_one_winner(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(8)]
    barrier = threading.Barrier(len(stores))

    def attempt(index: int) -> bool:
        barrier.wait()
        return claim_slot(stores[index], SLOT, f"run-{index}", now=NOW, lease=LEASE).won

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            results = list(pool.map(attempt, range(len(stores))))
    finally:
        for opened in stores:
            opened.close()
    assert results.count(True) == 1


def test_many_runs_taking_over_one_stale_claim_give_one_winner(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(6)]
    claim_slot(stores[0], SLOT, "killed", now=NOW, lease=LEASE)
    barrier = threading.Barrier(len(stores))
    later = NOW + 2 * LEASE

    def attempt(index: int) -> bool:
        barrier.wait()
        return claim_slot(stores[index], SLOT, f"run-{index}", now=later, lease=LEASE).won

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            results = list(pool.map(attempt, range(len(stores))))
    finally:
        for opened in stores:
            opened.close()
    assert results.count(True) == 1


def test_the_ingest_lock_holds_off_a_second_holder(store_url: str) -> None:
    first, second = open_store(store_url), open_store(store_url)
    entered = threading.Event()

    def take() -> None:
        with ingest_lock(second):
            entered.set()

    try:
        with ingest_lock(first):
            waiter = threading.Thread(target=take)
            waiter.start()
            assert not entered.wait(0.3)
        waiter.join(10)
        assert entered.is_set()
    finally:
        first.close()
        second.close()
