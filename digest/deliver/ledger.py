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
from digest.store.bulk import driver_instant
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
    if store.dialect in _DRIVER_CLAIMS:
        claimed = (edition_id, segment, owner, limit, now, only, into, edition_name, opt_in)
        with store.begin() as conn:
            return _DRIVER_CLAIMS[store.dialect](conn, claimed)
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


# The claim on SQLite and PostgreSQL: the statements of the portable claim above,
# written out and run on the driver, since SQLAlchemy's handling of a thousand
# bound ids and rows cost twice what the database did. The same rows are taken
# in one transaction, as before, so a claim is as crash-safe as it was.
_READER_COLUMNS = "subscribers.id, email, name, locale, regions, subscribers.status, first_name"


class _Params:
    """Parameters of a statement for the driver: ``?`` for SQLite, ``%(name)s``
    for psycopg (as SQLAlchemy writes them)."""

    def __init__(self, dialect: str) -> None:
        self.named = dialect != "sqlite"
        self.dialect = dialect
        self.values: dict[str, Any] = {}
        self.order: list[Any] = []

    def __call__(self, name: str, value: Any) -> str:
        if isinstance(value, datetime):
            value = driver_instant(self.dialect, value)
        if self.named:
            self.values[name] = value
            return f"%({name})s"
        self.order.append(value)
        return "?"

    def among(self, name: str, ids: list[int]) -> str:
        """``IN (…)`` with one parameter per id on SQLite, ``= ANY(…)`` of one array
        elsewhere, typed as the column is (psycopg sends a list of ints as
        smallint[], integer[] or bigint[] by their size)."""
        if self.named:
            return f"= ANY({self(name, ids)}::INTEGER[])"
        self.order.extend(ids)
        return f"IN ({', '.join('?' * len(ids))})"

    @property
    def args(self) -> Any:
        return self.values if self.named else tuple(self.order)


def _pick(p: _Params, edition_id: str, segment: str, limit: int, only: int | None) -> str:
    # (parameters in the order they appear: SQLite's are positional)
    sql = (
        "WITH picked AS (SELECT subscriber_id FROM deliveries WHERE edition_id ="
        f" {p('picked_edition', edition_id)} AND segment = {p('segment', segment)}"
        " AND status = 'pending'"
    )
    if only is not None:
        sql += f" AND subscriber_id = {p('only', only)}"
    lock = " FOR UPDATE SKIP LOCKED" if p.dialect == "postgresql" else ""
    return f"{sql} LIMIT {p('limit', limit)}{lock})"


def _take(p: _Params, into: str, owner: str, now: datetime) -> str:
    return (
        f"UPDATE deliveries SET status={p('status', into)}, claimed_by={p('owner', owner)},"
        f" claimed_at={p('claimed_at', now)}"
    )


def _chooses(p: _Params, edition_name: str | None, opt_in: bool) -> str:
    """:func:`digest.store.subscribers.chooses` in SQL (true without an edition name)."""
    if edition_name is None:
        return "1 = 1"
    test = "IS NOT NULL AND" if opt_in else "IS NULL OR"
    pattern = p("chosen", f"%,{edition_name},%")
    return f"(subscribers.editions {test} (',' || subscribers.editions || ',') LIKE {pattern})"


def _claim_sqlite(conn: Connection, claim: _Claim) -> list[Claimed]:
    """Take the rows (one UPDATE … RETURNING their ids), then read their
    subscribers by primary key (SQLite's RETURNING names only the updated table)."""
    edition_id, segment, owner, limit, now, only, into, edition_name, opt_in = claim
    p = _Params("sqlite")
    sql = (
        f"{_pick(p, edition_id, segment, limit, only)} {_take(p, into, owner, now)}"
        f" WHERE edition_id = {p('edition_id', edition_id)}"
        " AND subscriber_id IN (SELECT subscriber_id FROM picked) RETURNING subscriber_id"
    )
    taken = [sid for (sid,) in conn.exec_driver_sql(sql, p.args).all()]
    if not taken:
        return []
    p = _Params("sqlite")
    query = (
        f"SELECT {_READER_COLUMNS}, {_chooses(p, edition_name, opt_in)} FROM subscribers"
        f" WHERE subscribers.id {p.among('ids', taken)} ORDER BY subscribers.id"
    )
    return _claimed(conn.exec_driver_sql(query, p.args).all())


def _claim_postgresql(conn: Connection, claim: _Claim) -> list[Claimed]:
    """Take the rows and read their subscribers in one statement (UPDATE … FROM
    … RETURNING), skipping rows another runner holds locked."""
    edition_id, segment, owner, limit, now, only, into, edition_name, opt_in = claim
    p = _Params("postgresql")
    sql = (
        f"{_pick(p, edition_id, segment, limit, only)} {_take(p, into, owner, now)}"
        f" FROM picked, subscribers WHERE deliveries.edition_id = {p('edition_id', edition_id)}"
        " AND deliveries.subscriber_id = picked.subscriber_id"
        " AND subscribers.id = picked.subscriber_id"
        f" RETURNING {_READER_COLUMNS}, {_chooses(p, edition_name, opt_in)}"
    )
    return sorted(_claimed(conn.exec_driver_sql(sql, p.args).all()))


# edition, segment, owner, limit, now, only, into, edition name, opt-in
_Claim = tuple[str, str, str, int, datetime, int | None, str, str | None, bool]
_DRIVER_CLAIMS = {"sqlite": _claim_sqlite, "postgresql": _claim_postgresql}


def _claimed(found: Any) -> list[Claimed]:
    """Claimed tuples from rows of (id, email, name, locale, regions, status,
    first name, chooses); a claim holds one segment, so a few distinct stored
    region choices, each read once."""
    rows = list(found)
    choices = {stored: read_regions(stored) for stored in {row[4] for row in rows}}
    return [
        Claimed(sid, email, name, locale, choices[regions], status, first_name, bool(chose))
        for sid, email, name, locale, regions, status, first_name, chose in rows
    ]


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
    return _claimed(conn.execute(query.order_by(subscribers.c.id)).all())


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
        if store.dialect in _DRIVER_CLAIMS:
            marked = conn.exec_driver_sql(*_driver_mark(store.dialect, edition_id, ids, owner))
        else:
            marked = conn.execute(query)
        if marked.rowcount != len(ids):
            raise _LostClaim
        return True
    return False


def _driver_mark(
    dialect: str, edition_id: str, ids: Collection[int], owner: str
) -> tuple[str, Any]:
    """:func:`mark_sending`'s UPDATE written out for the driver (see :func:`_driver_record`)."""
    p = _Params(dialect)
    sql = (
        f"UPDATE deliveries SET status={p('status', SENDING)} WHERE edition_id ="
        f" {p('edition_id', edition_id)} AND subscriber_id {p.among('ids', list(ids))}"
        f" AND status = {p('claimed', CLAIMED)} AND claimed_by = {p('owner', owner)}"
    )
    return sql, p.args


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
            if store.dialect in _DRIVER_CLAIMS:
                conn.exec_driver_sql(
                    *_driver_record(
                        store.dialect, edition_id, status, reason, provider_id, ids, now
                    )
                )
            else:
                conn.execute(_record_query(edition_id, status, reason, provider_id, ids, now))


def _driver_record(
    dialect: str,
    edition_id: str,
    status: str,
    reason: str | None,
    provider_id: str | None,
    ids: list[int],
    now: datetime,
) -> tuple[str, Any]:
    """:func:`_record_query` written out for the driver (SQLAlchemy's handling of
    a chunk's thousand bound ids cost more than the UPDATE itself): the SQL and
    its parameters."""
    p = _Params(dialect)
    sets = [f"status={p('status', status)}"]
    if status == SENT:
        sets.append(f"sent_at={p('sent_at', now)}")
    sets.append("attempts=(deliveries.attempts + 1)")
    if status == SENT:
        sets.append(f"message_id={p('message_id', provider_id)}")
    sets.append(f"error={p('error', reason[:2000] if reason else None)}")
    where = f"edition_id = {p('edition_id', edition_id)} AND subscriber_id {p.among('ids', ids)}"
    if status == UNCERTAIN:  # a provider event may have settled it meanwhile
        where += " AND status != 'sent'"
    return f"UPDATE deliveries SET {', '.join(sets)} WHERE {where}", p.args


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
