"""The delivery ledger: one ``deliveries`` row per (edition, subscriber).

Life of a row::

    pending ──claim──▶ claimed ──hand over──▶ sending ──answer──▶ sent
       ▲                  │                     │          ├──▶ failed     (next run: pending)
       │                  └─ stale ─────────────┤          ├──▶ sandbox    (next run: pending)
       └──────── stale claimed / idempotent ────┘          └──▶ uncertain  (--retry-uncertain)
    skipped: nothing new in the subscriber's regions, or no longer active.

A row is *claimed* (owner and time written, committed) before anything is
sent, marked *sending* (committed) just before it is handed to the provider,
and *sent* after the provider accepted it. A run that dies leaves its rows
claimed or sending. Such rows are stale when their claim is older than the
lease, or at once when their owner was a process on this host that no longer
exists. Stale *claimed* rows were never handed over and go back to pending.
Stale *sending* rows may or may not have reached the provider: they become
*uncertain* and are not resent automatically, except for idempotent backends
(the outbox), where a resend cannot make a second mail, so they go back to
pending.

Claims take ``limit`` pending rows in one statement; on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so several runners split one delivery and none
takes a row another holds. On SQLite :func:`runner_lock` lets one runner at
a time work on a database file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, func, or_, select, true, update

from digest.deliver import Outcome, Result
from digest.deliver.runners import owner_alive as owner_alive  # re-exported
from digest.store import Store
from digest.store.schema import PENDING_ROW, deliveries, subscribers
from digest.store.subscribers import chooses
from digest.subscribers import read_regions

PENDING, CLAIMED, SENDING, SENT = "pending", "claimed", "sending", "sent"
FAILED, UNCERTAIN, SKIPPED, SANDBOX = "failed", "uncertain", "skipped", "sandbox"
STATUSES = (PENDING, CLAIMED, SENDING, SENT, FAILED, UNCERTAIN, SKIPPED, SANDBOX)
DEFAULT_LEASE = timedelta(minutes=15)
INTERRUPTED = "interrupted after it was handed to the provider; it may or may not have been sent"
_STATUS_OF = {
    Outcome.SENT: SENT,
    Outcome.FAILED: FAILED,
    Outcome.UNCERTAIN: UNCERTAIN,
    Outcome.SANDBOX: SANDBOX,
    Outcome.RETRY: CLAIMED,  # still ours: the sender retries it after a pause
}


class Claimed(NamedTuple):
    """A claimed row with what sending needs of its subscriber (as it is now).

    A named tuple, not a frozen dataclass: one is made per recipient, and a
    frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
    (three times the cost)."""

    subscriber_id: int
    email: str
    name: str | None
    locale: str
    regions: frozenset[str] | None
    status: str
    first_name: str | None = None
    chooses: bool = True  # (now) chose the edition claimed for, when the claim asked


def _in_edition(edition_id: str) -> Any:
    return deliveries.c.edition_id == edition_id


def _reopened(retry_uncertain: bool) -> list[str]:
    return [FAILED, SANDBOX, *([UNCERTAIN] if retry_uncertain else [])]


def reopens(counts: Mapping[str, int], *, retry_uncertain: bool = False) -> bool:
    """Whether :func:`reopen` has rows to reopen, given the edition's :func:`counts`."""
    return any(counts.get(status) for status in _reopened(retry_uncertain))


def reopen(store: Store, edition_id: str, *, retry_uncertain: bool = False) -> int:
    """Start of a run: failed and sandboxed rows (and uncertain ones, if asked)
    become pending again; how many."""
    statuses = _reopened(retry_uncertain)
    query = (
        update(deliveries)
        .where(_in_edition(edition_id), deliveries.c.status.in_(statuses))
        .values(status=PENDING, claimed_by=None)
    )
    with store.begin() as conn:
        return int(conn.execute(query).rowcount)


def _stale_owners(conn: Connection, edition_id: str, alive: Callable[[str], bool]) -> list[str]:
    query = (
        select(deliveries.c.claimed_by)
        .where(_in_edition(edition_id), deliveries.c.status.in_([CLAIMED, SENDING]))
        .distinct()
    )
    owners = [owner for owner in conn.execute(query).scalars() if owner]
    return [owner for owner in owners if not alive(owner)]


def recover(
    store: Store,
    edition_id: str,
    *,
    now: datetime,
    idempotent: bool,
    lease: timedelta = DEFAULT_LEASE,
    alive: Callable[[str], bool] = owner_alive,
) -> tuple[int, int]:
    """Release stale claims (see the module doc): (rows made pending, rows made uncertain)."""
    cutoff = now.astimezone(UTC) - lease
    with store.begin() as conn:
        dead = _stale_owners(conn, edition_id, alive)
        stale = or_(deliveries.c.claimed_at < cutoff, deliveries.c.claimed_by.in_(dead))
        claimed = and_(_in_edition(edition_id), deliveries.c.status == CLAIMED, stale)
        reclaimed = conn.execute(update(deliveries).where(claimed).values(status=PENDING)).rowcount
        sending = and_(_in_edition(edition_id), deliveries.c.status == SENDING, stale)
        values = {"status": PENDING} if idempotent else {"status": UNCERTAIN, "error": INTERRUPTED}
        moved = conn.execute(update(deliveries).where(sending).values(**values)).rowcount
    return (reclaimed + moved, 0) if idempotent else (reclaimed, moved)


def segments_with_work(store: Store, edition_id: str, only: int | None = None) -> list[str]:
    """Segment labels that still have pending rows."""
    query = (
        select(deliveries.c.segment)
        .where(_in_edition(edition_id), deliveries.c.status == PENDING)
        .distinct()
        .order_by(deliveries.c.segment)
    )
    if only is not None:
        query = query.where(deliveries.c.subscriber_id == only)
    with store.begin() as conn:
        return list(conn.execute(query).scalars())


def claim(
    store: Store,
    edition_id: str,
    segment: str,
    *,
    owner: str,
    limit: int,
    now: datetime,
    only: int | None = None,
    edition_name: str | None = None,
    opt_in: bool = False,
    into: str = CLAIMED,
) -> list[Claimed]:
    """Claim up to ``limit`` pending rows of ``segment`` for ``owner`` (a token
    ``runner#n`` unique to this claim) and return them with their subscribers;
    with ``edition_name``, each says whether its subscriber (still) chooses it
    (``opt_in``: an edition kind only readers who named it get).

    ``into=SENDING`` claims straight into *sending*, one statement instead of
    a claim and a mark, for a sender that claims only when no chunk of its own
    is out and hands the whole claim over as one chunk at once (so a crash
    still leaves at most one chunk *sending*)."""
    candidates = (
        select(deliveries.c.subscriber_id)
        .where(_in_edition(edition_id), deliveries.c.segment == segment, PENDING_ROW)
        .limit(limit)
    )
    if only is not None:
        candidates = candidates.where(deliveries.c.subscriber_id == only)
    if store.dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # A CTE is evaluated once; a plain IN (subquery) may be rescanned by the
    # planner, and each rescan would skip the rows just taken and take more.
    picked = candidates.cte("picked")
    take = (
        update(deliveries)
        .where(
            _in_edition(edition_id), deliveries.c.subscriber_id.in_(select(picked.c.subscriber_id))
        )
        .values(status=into, claimed_by=owner, claimed_at=now.astimezone(UTC))
    )
    with store.begin() as conn:
        taken = list(conn.execute(take.returning(deliveries.c.subscriber_id)).scalars().all())
        return _claimed_rows(conn, taken, edition_name, opt_in) if taken else []


def _claimed_rows(
    conn: Connection, taken: list[int], edition_name: str | None, opt_in: bool
) -> list[Claimed]:
    """The subscribers of the rows just taken, read by primary key (no index
    holds claimed rows, see migration 0010)."""
    chosen = true() if edition_name is None else chooses(edition_name, opt_in=opt_in)
    query = (
        select(
            subscribers.c.id,
            subscribers.c.email,
            subscribers.c.name,
            subscribers.c.locale,
            subscribers.c.regions,
            subscribers.c.status,
            subscribers.c.first_name,
            chosen.label("chooses"),
        )
    ).where(subscribers.c.id.in_(taken))
    found = conn.execute(query.order_by(subscribers.c.id)).all()  # one fetch, not one per row
    # A claim holds one segment: a few distinct stored choices, each read once.
    choices = {stored: read_regions(stored) for stored in {row[4] for row in found}}
    return [
        Claimed(sid, email, name, locale, choices[regions], status, first_name, bool(chose))
        for sid, email, name, locale, regions, status, first_name, chose in found
    ]


def mark_sending(store: Store, edition_id: str, ids: Collection[int], owner: str) -> bool:
    """Commit that these rows are being handed over. False (and nothing changed)
    when any of them is no longer claimed by ``owner``."""
    query = (
        update(deliveries)
        .where(
            _in_edition(edition_id),
            deliveries.c.subscriber_id.in_(list(ids)),
            deliveries.c.status == CLAIMED,
            deliveries.c.claimed_by == owner,
        )
        .values(status=SENDING)
    )
    with contextlib.suppress(_LostClaim), store.begin() as conn:
        if conn.execute(query).rowcount != len(ids):
            raise _LostClaim
        return True
    return False


class _LostClaim(Exception):
    """Rolls back a partial mark_sending."""


def release(
    store: Store, edition_id: str, owners: Collection[str], unsent: Collection[str] = ()
) -> int:
    """Give the rows ``owners`` claimed but never handed over back to pending
    (a run that stops on an error), and those of ``unsent``, claims taken
    straight into *sending* that never went out; how many."""
    held = or_(
        and_(deliveries.c.status == CLAIMED, deliveries.c.claimed_by.in_([*owners, *unsent])),
        and_(deliveries.c.status == SENDING, deliveries.c.claimed_by.in_(list(unsent))),
    )
    if not owners and not unsent:
        return 0
    query = (
        update(deliveries)
        .where(_in_edition(edition_id), held)
        .values(status=PENDING, claimed_by=None)
    )
    with store.begin() as conn:
        return int(conn.execute(query).rowcount)


def record(store: Store, edition_id: str, results: Mapping[int, Result], *, now: datetime) -> None:
    """Write what became of each row (one statement per distinct outcome)."""
    groups: dict[tuple[str, str | None, str | None], list[int]] = {}
    for subscriber_id, result in results.items():
        key = (_STATUS_OF[result.outcome], result.reason, result.provider_id)
        groups.setdefault(key, []).append(subscriber_id)
    with store.begin() as conn:
        for (status, reason, provider_id), ids in groups.items():
            conn.execute(_record_query(edition_id, status, reason, provider_id, ids, now))


def _record_query(
    edition_id: str,
    status: str,
    reason: str | None,
    provider_id: str | None,
    ids: list[int],
    now: datetime,
) -> Any:
    values: dict[str, Any] = {
        "status": status,
        "error": reason[:2000] if reason else None,
        "attempts": deliveries.c.attempts + 1,
    }
    if status == SENT:
        values.update(sent_at=now.astimezone(UTC), message_id=provider_id)
    where = [_in_edition(edition_id), deliveries.c.subscriber_id.in_(ids)]
    if status == UNCERTAIN:  # a provider event may have settled it meanwhile
        where.append(deliveries.c.status != SENT)
    return update(deliveries).where(*where).values(**values)


def skip(store: Store, edition_id: str, reasons: Mapping[int, str]) -> None:
    """Mark rows skipped with a reason each."""
    if not reasons:
        return
    query = (
        update(deliveries)
        .where(_in_edition(edition_id), deliveries.c.subscriber_id == bindparam("sid"))
        .values(status=SKIPPED, error=bindparam("reason"))
    )
    with store.begin() as conn:
        conn.execute(query, [{"sid": sid, "reason": r} for sid, r in reasons.items()])


def counts(store: Store, edition_id: str) -> dict[str, int]:
    """How many rows of the edition have each status."""
    query = (
        select(deliveries.c.status, func.count())
        .where(_in_edition(edition_id))
        .group_by(deliveries.c.status)
    )
    with store.begin() as conn:
        return {status: int(n) for status, n in conn.execute(query).all()}


def statuses(store: Store, edition_id: str) -> dict[int, str]:
    """Each subscriber's row status for the edition (for dry runs)."""
    query = select(deliveries.c.subscriber_id, deliveries.c.status).where(_in_edition(edition_id))
    with store.begin() as conn:
        return {sid: status for sid, status in conn.execute(query).all()}


def problems(store: Store, edition_id: str, limit: int = 20) -> list[tuple[str, str, str]]:
    """(address, status, reason) of failed and uncertain rows, for the report."""
    query = (
        select(subscribers.c.email, deliveries.c.status, deliveries.c.error)
        .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
        .where(_in_edition(edition_id), deliveries.c.status.in_([FAILED, UNCERTAIN]))
        .order_by(deliveries.c.subscriber_id)
        .limit(limit)
    )
    with store.begin() as conn:
        return [(e, s, r or "") for e, s, r in conn.execute(query).all()]
