"""The edition ledger: claims on edition slots, in the ``edition_runs`` table.

A run inserts the claim for a slot before it does anything else. The slot key
is the primary key, so of several runs (processes, hosts, schedulers) exactly
one insert succeeds; the others read the row and stand down. The owner keeps
a heartbeat; a claim whose owner stopped beating for longer than the lease
(a killed process, a lost host) or that failed is taken over by the next run,
which resumes the work: every step after the claim is idempotent.

Takeovers are compare-and-swap updates (the old owner *and* heartbeat must
still match), so of two runs taking over the same stale claim one wins, on
SQLite and PostgreSQL alike, without relying on row locks.

``ingest_lock`` serialises ingestion across processes, so concurrent runs do
not race to store the same snapshot.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Row, select, update

from digest.errors import DigestError, StoreError
from digest.schedule.slots import Slot
from digest.store import Store, upsert_insert
from digest.store.schema import as_utc, edition_runs

# "waiting": delivered but for uncertain hand-overs still to be settled by
# provider events or their one resend; later runs take it over to finish.
# "approval": built, waiting for an editor (see digest.schedule.approval); later
# runs take it over to send it once approved, or skip it when the time ran out.
Status = Literal["running", "delivering", "done", "skipped", "failed", "waiting", "approval"]
FINISHED: frozenset[str] = frozenset({"done", "skipped"})
ACTIVE: frozenset[str] = frozenset({"running", "delivering"})
DEFAULT_LEASE = timedelta(minutes=10)


class ClaimLostError(DigestError):
    """Another run took over this run's slot (its heartbeat was too old)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One row of the ledger."""

    slot_key: str
    edition_name: str
    slot: datetime
    status: str
    owner: str
    claimed_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None = None
    edition_id: str | None = None
    message: str | None = None

    def is_stale(self, now: datetime, lease: timedelta) -> bool:
        return self.status in ACTIVE and self.heartbeat_at < now - lease


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """What claiming a slot gave: ``won`` with the claim now ours, or the
    claim that stopped us. ``previous`` is the claim we took over, if any."""

    won: bool
    claim: Claim
    previous: Claim | None = None

    @property
    def resumed(self) -> bool:
        return self.won and self.previous is not None


def new_owner() -> str:
    """A name for this run, unique across hosts: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _to_claim(row: Row[Any]) -> Claim:
    return Claim(
        slot_key=row.slot_key,
        edition_name=row.edition_name,
        slot=as_utc(row.slot) or row.slot,
        status=row.status,
        owner=row.owner,
        claimed_at=as_utc(row.claimed_at) or row.claimed_at,
        heartbeat_at=as_utc(row.heartbeat_at) or row.heartbeat_at,
        finished_at=as_utc(row.finished_at),
        edition_id=row.edition_id,
        message=row.message,
    )


def get_claim(store: Store, slot_key: str) -> Claim | None:
    with store.begin() as conn:
        row = conn.execute(select(edition_runs).where(edition_runs.c.slot_key == slot_key)).first()
    return _to_claim(row) if row else None


def list_claims(
    store: Store, edition: str | None = None, *, status: str | None = None
) -> list[Claim]:
    """Claims newest slot first, of one edition or all (and of one status or all)."""
    query = select(edition_runs).order_by(edition_runs.c.slot.desc(), edition_runs.c.slot_key)
    if edition is not None:
        query = query.where(edition_runs.c.edition_name == edition)
    if status is not None:
        query = query.where(edition_runs.c.status == status)
    with store.begin() as conn:
        return [_to_claim(row) for row in conn.execute(query)]


def has_claims(store: Store, edition: str) -> bool:
    """Whether any run ever claimed a slot of ``edition``."""
    query = select(edition_runs.c.slot_key).where(edition_runs.c.edition_name == edition)
    with store.begin() as conn:
        return conn.execute(query.limit(1)).first() is not None


def _insert_ignoring_conflict(store: Store, claim: Claim) -> bool:
    insert_into = upsert_insert(store.dialect)
    assert insert_into is not None, "claims need SQLite or PostgreSQL"
    values = {c.name: getattr(claim, c.name) for c in edition_runs.columns}
    insert = insert_into(edition_runs).values(**values).on_conflict_do_nothing()
    # RETURNING rather than rowcount, which some drivers leave at -1 here.
    with store.begin() as conn:
        return conn.execute(insert.returning(edition_runs.c.slot_key)).first() is not None


def claim_slot(
    store: Store,
    slot: Slot,
    owner: str,
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    force: bool = False,
    alive: Callable[[str], bool] = lambda owner: True,
) -> ClaimOutcome:
    """Claim ``slot`` for ``owner``; take over a failed or stale claim (or, with
    ``force``, a finished one). A live claim of another run is never taken.

    A claim is stale when its heartbeat is older than ``lease``, or at once
    when ``alive(owner)`` says its owner is gone (a dead process on this host).
    """
    now = now.astimezone(UTC)
    mine = Claim(slot.key, slot.edition, slot.at.astimezone(UTC), "running", owner, now, now)
    if _insert_ignoring_conflict(store, mine):
        return ClaimOutcome(True, mine)
    existing = get_claim(store, slot.key)
    if existing is None:  # rows are never deleted; a vanished one is a store fault
        raise StoreError(f"slot {slot.key}: claim neither inserted nor found; check the database")
    gone = existing.status in ACTIVE and not alive(existing.owner)
    takeable = (
        existing.status in ("failed", "waiting", "approval")
        or gone
        or existing.is_stale(now, lease)
    )
    if not (takeable or (force and existing.status in FINISHED)):
        return ClaimOutcome(False, existing)
    return _take_over(store, existing, owner, now)


def _take_over(store: Store, old: Claim, owner: str, now: datetime) -> ClaimOutcome:
    swap = (
        update(edition_runs)
        .where(
            edition_runs.c.slot_key == old.slot_key,
            edition_runs.c.owner == old.owner,
            edition_runs.c.status == old.status,
            edition_runs.c.heartbeat_at == old.heartbeat_at,
        )
        .values(owner=owner, status="running", heartbeat_at=now, finished_at=None)
        .returning(edition_runs.c.slot_key)
    )
    with store.begin() as conn:
        took = conn.execute(swap).first() is not None
    return ClaimOutcome(took, _require(store, old.slot_key), old if took else None)


def _update_own(store: Store, claim: Claim, **values: Any) -> Claim:
    """Update our claim; raise ClaimLostError if another run took it over."""
    change = (
        update(edition_runs)
        .where(edition_runs.c.slot_key == claim.slot_key, edition_runs.c.owner == claim.owner)
        .values(**values)
        .returning(edition_runs.c.slot_key)
    )
    with store.begin() as conn:
        if conn.execute(change).first() is None:
            raise ClaimLostError(
                f"slot {claim.slot_key}: another run took it over from {claim.owner} "
                "(its heartbeat was older than the lease); this run stops"
            )
    return _require(store, claim.slot_key)


def _require(store: Store, slot_key: str) -> Claim:
    found = get_claim(store, slot_key)
    if found is None:
        raise StoreError(f"slot {slot_key}: its claim vanished; check the database")
    return found


def heartbeat(
    store: Store, claim: Claim, now: datetime, *, status: Status | None = None, **values: Any
) -> Claim:
    """Tell other runs that ``claim`` is alive (optionally moving it to ``status``)."""
    if status is not None:
        values["status"] = status
    return _update_own(store, claim, heartbeat_at=now.astimezone(UTC), **values)


def finish_claim(
    store: Store,
    claim: Claim,
    status: Status,
    now: datetime,
    *,
    edition_id: str | None = None,
    message: str | None = None,
) -> Claim:
    """Close ``claim`` as done, skipped or failed, with what happened."""
    at = now.astimezone(UTC)
    values: dict[str, Any] = {"status": status, "heartbeat_at": at, "message": message}
    if status in FINISHED:
        values["finished_at"] = at
    if edition_id is not None:
        values["edition_id"] = edition_id
    return _update_own(store, claim, **values)
