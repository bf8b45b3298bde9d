"""The ledger's one index (migration 0010): pending rows only, used by the claim.

A mail changes its row's status three times (claimed, sending, sent); with an
index on ``status`` each change also rewrote index entries. Now only the
planned-to-claimed step touches the index; the claim still finds a segment's
pending rows through it, and an older database is migrated without losing a row.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from digest.deliver import Outcome, Result, ledger
from digest.deliver import plan as plan_module
from digest.store import Store, _alembic_config, open_store
from digest.store.subscribers import list_subscribers
from tests.delivery_helpers import SLOT, add_readers, make_edition, record

EDITION = "ochtend-2026-01-21T0700"


def _planned(store: Store, n: int) -> list[int]:
    record(store, make_edition())
    add_readers(store, n)
    ids = [s.id for s in list_subscribers(store)]
    plan_module.plan_rows(store, EDITION, [plan_module.PlanRow(i, "nl:*") for i in ids])
    return ids


def test_no_index_of_the_ledger_holds_a_status_past_pending(store: Store) -> None:
    with store.begin() as conn:
        indexes = inspect(conn).get_indexes("deliveries")
    assert [(i["name"], i["column_names"]) for i in indexes] == [
        ("ix_deliveries_pending", ["edition_id", "segment", "subscriber_id"])
    ]
    predicate = {
        "sqlite": "SELECT sql FROM sqlite_master WHERE name = 'ix_deliveries_pending'",
        "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_deliveries_pending'",
    }[store.dialect]
    with store.begin() as conn:
        assert "WHERE" in conn.execute(text(predicate)).scalar_one()


def test_the_claim_finds_pending_rows_through_the_partial_index(sqlite_store: Store) -> None:
    ids = _planned(sqlite_store, 6)
    ledger.record(sqlite_store, EDITION, {ids[0]: Result(Outcome.SENT, provider_id="x")}, now=SLOT)
    taken = ledger.claim(sqlite_store, EDITION, "nl:*", owner="a#1", limit=3, now=SLOT)
    assert [c.subscriber_id for c in taken] == ids[1:4]
    with sqlite_store.begin() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT subscriber_id FROM deliveries "
                "WHERE edition_id = :e AND segment = 'nl:*' AND status = 'pending' LIMIT 3"
            ),
            {"e": EDITION},
        ).all()
    assert any("ix_deliveries_pending" in str(row) for row in plan), plan


def test_a_claim_says_who_dropped_the_edition_since_it_was_planned(store: Store) -> None:
    ids = _planned(store, 3)
    with store.begin() as conn:
        conn.execute(text("UPDATE subscribers SET editions = 'avond' WHERE id = :i"), {"i": ids[1]})
    taken = ledger.claim(
        store, EDITION, "nl:*", owner="a#1", limit=10, now=SLOT, edition_name="ochtend"
    )
    assert {c.subscriber_id: c.chooses for c in taken} == {
        ids[0]: True,
        ids[1]: False,
        ids[2]: True,
    }


def test_migrating_a_ledger_from_0008_keeps_every_row_and_its_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0008")
        conn.execute(text(
            "INSERT INTO editions (id, name, slot, window_start, window_end, created_at, "
            "story_count, payload) VALUES ('e', 'o', '2026-01-01', '2026-01-01', "
            "'2026-01-01', '2026-01-01', 0, '{}')"
        ))  # fmt: skip
        for sid, status in [(1, "pending"), (2, "sent"), (3, "uncertain")]:
            conn.execute(
                text(
                    "INSERT INTO subscribers (id, email, locale, status, created_at, updated_at) "
                    "VALUES (:i, :m, 'nl', 'active', '2026-01-01', '2026-01-01')"
                ),
                {"i": sid, "m": f"r{sid}@example.org"},
            )
            conn.execute(
                text(
                    "INSERT INTO deliveries (edition_id, subscriber_id, segment, status, attempts) "
                    "VALUES ('e', :i, 'nl:*', :s, 0)"
                ),
                {"i": sid, "s": status},
            )
    engine.dispose()
    store = open_store(url)
    try:
        assert ledger.counts(store, "e") == {"pending": 1, "sent": 1, "uncertain": 1}
        taken = ledger.claim(store, "e", "nl:*", owner="a#1", limit=5, now=SLOT)
        assert [c.subscriber_id for c in taken] == [1]
    finally:
        store.close()
