"""The store step's statements per snapshot: one per table for its rows, however many
of its items are new, seen before or reworded (sightings and revisions of stored
stories are gathered and written together, not a read and a write per item)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from digest.model import Item
from digest.store import Store
from digest.store.stories import SnapshotMeta, list_stories, store_items, story_revision_texts

T0 = datetime(2026, 1, 21, 10, 0, tzinfo=UTC)


def brief(n: int, text: str, captured: datetime) -> Item:
    latest = captured - timedelta(minutes=30)
    return Item(
        "brief", None, f"PLAATS{n}", ("ANP",), text, latest, "Buitenland", "s.txt",
        earliest=latest - timedelta(minutes=60), regions=("iran",), countries=("IR",),
    )  # fmt: skip


def first(n: int, at: datetime = T0) -> Item:
    return brief(n, f"In haven {n} liggen sinds maandag veertig schepen vast door de storm.", at)


def reworded(n: int, at: datetime) -> Item:
    text = f"In haven {n} liggen sinds maandag veertig schepen vast door de zware storm."
    return brief(n, text, at)


def second_snapshot(store: Store, size: int) -> list[str]:
    """Statements of a second snapshot holding ``size`` briefs seen before, ``size``
    reworded ones and ``size`` new ones."""
    with store.begin() as conn:
        items = [first(n) for n in range(2 * size)]
        store_items(conn, SnapshotMeta("a.txt", f"a{size}", T0), items, T0)
    later = T0 + timedelta(hours=1)
    items = (
        [first(n, later) for n in range(size)]
        + [reworded(n, later) for n in range(size, 2 * size)]
        + [first(n, later) for n in range(100 + 2 * size, 100 + 3 * size)]
    )
    seen: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        with store.begin() as conn:
            counts = store_items(conn, SnapshotMeta("b.txt", f"b{size}", later), items, later)
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    assert (counts.known, counts.updated, counts.new) == (size, size, size)
    return seen


def test_a_snapshot_takes_as_many_statements_whatever_its_size(store: Store) -> None:
    small = second_snapshot(store, 3)
    large = second_snapshot(store, 40)
    assert len(small) == len(large), (small, large)
    assert sum(s.startswith("UPDATE STORIES") for s in large) <= 2
    assert sum(s.startswith("INSERT INTO STORY_REVISIONS") for s in large) <= 1


def test_gathered_writes_keep_each_step_in_turn(store: Store) -> None:
    """A story seen, reworded and seen again in one snapshot ends as the items
    would leave it one by one: two revisions, the latest wording, the widest sightings."""
    with store.begin() as conn:
        store_items(conn, SnapshotMeta("a.txt", "a", T0), [first(1)], T0)
    later = T0 + timedelta(hours=2)
    items = [first(1, later), reworded(1, later), first(1, later)]
    with store.begin() as conn:
        counts = store_items(conn, SnapshotMeta("b.txt", "b", later), items, later)
    assert (counts.known, counts.updated, counts.new) == (2, 1, 0)
    (story,) = list_stories(store)
    assert story.revisions == 2 and story.last_seen == later and story.first_seen == T0
    assert story.text == reworded(1, later).text
    assert [n for n, _ in story_revision_texts(store, story.id)] == [1, 2]
