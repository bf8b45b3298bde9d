"""Planning a delivery: a ledger row for every active subscriber who has none.

The database does the work: the distinct region choices (and locales) of
the active subscribers are read first, the caller says what each choice gets
(segment label, pending or skipped), and one ``INSERT ... SELECT`` per
``WINDOW`` subscriber ids writes the rows, grouped by segment so that a
segment's rows sit together. Subscribers whose choice was not among those
read (they changed it meanwhile) are planned row by row afterwards, so every
subscriber active by then has a row. Existing rows keep their state.
Given an edition name, only the subscribers who chose that edition get rows:
a reader never gets an edition they did not choose.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    Column,
    Connection,
    Exists,
    FromClause,
    MetaData,
    String,
    Table,
    and_,
    column,
    exists,
    func,
    literal,
    select,
    values,
)

from digest.deliver.ledger import PENDING
from digest.deliver.segments import SegmentKey
from digest.errors import DeliveryError, StoreError
from digest.store import Store, upsert_insert
from digest.store.bulk import insert_many
from digest.store.schema import deliveries, subscribers
from digest.store.subscribers import chooses
from digest.subscribers import read_regions

WINDOW = 50_000  # subscriber ids per statement (and transaction)
_COLUMNS = ["edition_id", "subscriber_id", "segment", "status", "error", "attempts"]


@dataclass(frozen=True, slots=True)
class ChoiceRows:
    """What the rows of the subscribers of one segment get."""

    segment: str
    status: str = PENDING
    error: str | None = None


Choice = tuple[str, str]  # (stored regions, "" for all; locale)
Decide = Callable[[SegmentKey], ChoiceRows]


def plan_active(
    store: Store,
    edition_id: str,
    decide: Decide,
    *,
    edition_name: str | None = None,
    opt_in: bool = False,
) -> None:
    """Create the missing rows of every active subscriber (who chose
    ``edition_name``, when given); ``decide`` says what the rows of each segment get."""
    if upsert_insert(store.dialect) is None:
        raise DeliveryError(f"database {store.describe()}: no ledger support")
    choices = {choice: decide(_segment(*choice)) for choice in _active_choices(store)}
    if choices:
        with store.begin() as conn:
            top = conn.execute(select(func.max(subscribers.c.id))).scalar() or 0
        added = 0
        for low in range(0, top, WINDOW):
            with store.begin() as conn, _choices_table(conn, choices) as chosen:
                insert = _insert_window(
                    store.dialect, edition_id, chosen, low, edition_name, opt_in
                )
                added += conn.execute(insert).rowcount
        if added and store.dialect == "postgresql":
            _analyze(store)
    plan_rows(store, edition_id, _late_rows(store, edition_id, decide, edition_name, opt_in))


ANALYZE_WAIT = "2s"  # how long the statistics may wait for a lock (see _analyze)
log = logging.getLogger(__name__)


def _analyze(store: Store) -> None:
    """Fresh planner statistics for the ledger and the subscribers on PostgreSQL,
    once a plan added rows. Until autovacuum gets to them (a minute or more
    later), the planner takes the new edition for a few hundred rows and a list
    just imported for a few thousand: it then reads every row of the edition
    for each recorded chunk, and every subscriber for each claim, instead of
    looking their ids up (measured per chunk of 1000: 31 ms instead of 7 to
    record, 38 instead of 21 to claim). ANALYZE reads a sample, not the table;
    without the right to run it PostgreSQL warns and goes on. It waits at most
    ``ANALYZE_WAIT`` for a table another ANALYZE or a VACUUM holds (an
    anti-wraparound vacuum of a large ledger can take minutes). The statistics
    only speed the send up: when they cannot be made (that wait, a statement
    timeout), a warning says so and the send goes on without them."""
    try:
        with store.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{ANALYZE_WAIT}'")
            conn.exec_driver_sql("ANALYZE deliveries, subscribers")
    except StoreError as exc:
        log.warning("planner statistics not refreshed, the send goes on without them: %s", exc)


def _segment(regions: str | None, locale: str) -> SegmentKey:
    return SegmentKey(read_regions(regions), locale)


def _late_rows(
    store: Store, edition_id: str, decide: Decide, edition_name: str | None, opt_in: bool
) -> Iterator[PlanRow]:
    """Rows for the active subscribers still without one (their choice changed
    while planning)."""
    query = select(subscribers.c.id, subscribers.c.regions, subscribers.c.locale).where(
        subscribers.c.status == "active", ~_has_row(edition_id), *_chose(edition_name, opt_in)
    )
    with store.begin() as conn:
        late = conn.execute(query).all()
    for subscriber_id, regions, locale in late:
        rows = decide(_segment(regions, locale))
        yield PlanRow(subscriber_id, rows.segment, rows.status, rows.error)


def _active_choices(store: Store) -> list[Choice]:
    query = (
        select(func.coalesce(subscribers.c.regions, ""), subscribers.c.locale)
        .where(subscribers.c.status == "active")
        .distinct()
    )
    with store.begin() as conn:
        return sorted({(regions, locale) for regions, locale in conn.execute(query).all()})


def _chose(edition_name: str | None, opt_in: bool = False) -> list[Any]:
    return [] if edition_name is None else [chooses(edition_name, opt_in=opt_in)]


def _insert_window(
    dialect: str,
    edition_id: str,
    chosen: FromClause,
    low: int,
    edition_name: str | None = None,
    opt_in: bool = False,
) -> Any:
    """Rows for the active subscribers with ids in (low, low + WINDOW] and no row
    yet; ``chosen`` holds what each choice gets (:func:`_choices_table`)."""
    active = _active_without_row(edition_id, low, edition_name, opt_in)
    rows = (
        select(
            literal(edition_id),
            active.c.id,
            chosen.c.segment,
            chosen.c.status,
            chosen.c.error,
            literal(0),
        )
        .join_from(
            active,
            chosen,
            and_(active.c.regions == chosen.c.regions, active.c.locale == chosen.c.locale),
        )
        .where(active.c.id > low)  # SQLite needs a WHERE before ON CONFLICT
        .order_by(chosen.c.segment, active.c.id)
    )
    insert_into = upsert_insert(dialect)
    assert insert_into is not None, "checked by plan_active"
    return insert_into(deliveries).from_select(_COLUMNS, rows).on_conflict_do_nothing()


_CHOICE_COLUMNS = ("regions", "locale", "segment", "status", "error")
# On SQLite the choices go in a temporary table keyed by (regions, locale), for
# the one transaction that uses them: a VALUES list has no index, and SQLite
# joins each subscriber against it by scanning every choice (32 in the bench's
# mix), which took a third of the planning statement's time.
_TEMP_CHOICES = Table(
    "plan_choices",
    MetaData(),
    Column("regions", String, primary_key=True),
    Column("locale", String, primary_key=True),
    Column("segment", String, nullable=False),
    Column("status", String, nullable=False),
    Column("error", String),
    prefixes=["TEMPORARY"],
)


@contextlib.contextmanager
def _choices_table(conn: Connection, choices: dict[Choice, ChoiceRows]) -> Iterator[FromClause]:
    """What each choice gets, as a table to join: a keyed temporary table on
    SQLite (dropped again before the transaction ends), a VALUES list elsewhere."""
    data = [(*choice, r.segment, r.status, r.error) for choice, r in choices.items()]
    if conn.dialect.name != "sqlite":
        table = values(*(column(name, String) for name in _CHOICE_COLUMNS), name="choices")
        yield table.data(data).cte("choices")
        return
    # The CREATE commits on its own (pysqlite opens a transaction only for DML), so
    # a plan that failed may have left the table on this pooled connection:
    # reuse it, emptied.
    _TEMP_CHOICES.create(conn, checkfirst=True)
    conn.execute(_TEMP_CHOICES.delete())
    conn.execute(
        _TEMP_CHOICES.insert(), [dict(zip(_CHOICE_COLUMNS, row, strict=True)) for row in data]
    )
    yield _TEMP_CHOICES
    _TEMP_CHOICES.drop(conn)


def _active_without_row(
    edition_id: str, low: int, edition_name: str | None = None, opt_in: bool = False
) -> CTE:
    # Materialised, so that SQLite reads the subscribers once (not once per choice).
    query = select(
        subscribers.c.id,
        func.coalesce(subscribers.c.regions, "").label("regions"),
        subscribers.c.locale,
    ).where(
        subscribers.c.status == "active",
        subscribers.c.id > low,
        subscribers.c.id <= low + WINDOW,
        ~_has_row(edition_id),
        *_chose(edition_name, opt_in),
    )
    return query.cte("active").prefix_with("MATERIALIZED")


def _has_row(edition_id: str) -> Exists:
    return exists().where(
        deliveries.c.edition_id == edition_id,
        deliveries.c.subscriber_id == subscribers.c.id,
    )


PLAN_CHUNK = 2000  # rows per INSERT


PLAN_WINDOW = 50_000  # rows sorted by segment before they are written


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A ledger row to create: a subscriber, their segment label, and pending or skipped."""

    subscriber_id: int
    segment: str
    status: str = PENDING
    error: str | None = None


def plan_rows(store: Store, edition_id: str, rows: Iterable[PlanRow]) -> int:
    """Create the rows that do not exist yet (existing rows keep their state);
    the number of rows offered.

    Rows are written grouped by segment, ``PLAN_WINDOW`` at a time, so that a
    segment's rows sit together on disk and a claim touches a few pages, not
    every page of the table.
    """
    offered = 0
    window: list[PlanRow] = []
    for row in rows:
        window.append(row)
        if len(window) == PLAN_WINDOW:
            offered += _write_window(store, edition_id, window)
            window = []
    return offered + _write_window(store, edition_id, window)


def _write_window(store: Store, edition_id: str, window: list[PlanRow]) -> int:
    window.sort(key=lambda row: (row.segment, row.subscriber_id))
    values = [
        {
            "edition_id": edition_id,
            "subscriber_id": row.subscriber_id,
            "segment": row.segment,
            "status": row.status,
            "error": row.error,
            "attempts": 0,
        }
        for row in window
    ]
    for start in range(0, len(values), PLAN_CHUNK):
        with store.begin() as conn:
            insert_many(conn, deliveries, values[start : start + PLAN_CHUNK], skip_existing=True)
    return len(values)
