"""Editions that wait for an editor: the ``edition_approvals`` rows.

An edition of an ``approval = true`` edition gets a row when it is built
(``pending``, with a deadline). The editor approves it (with a note), holds
it, or cancels it; a run that finds the deadline passed without approval
marks it ``expired``. Only an ``approved`` edition is mailed or archived; a
``cancelled`` or ``expired`` one is discarded from the recorded editions (it
was never sent) so that its news goes to the next edition, and this row
remains as the record of what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.errors import DigestError
from digest.model import Edition
from digest.store import Store
from digest.store.schema import (
    as_utc,
    deliveries,
    edition_approvals,
    edition_stories,
    editions,
)

State = Literal["pending", "approved", "held", "cancelled", "expired"]
STATES: tuple[str, ...] = ("pending", "approved", "held", "cancelled", "expired")
OPEN: frozenset[str] = frozenset({"pending", "held"})  # still waiting for a decision


class ApprovalError(DigestError):
    """An approval cannot be given, held or cancelled (unknown edition, too late, sent)."""


@dataclass(frozen=True, slots=True)
class Approval:
    """One edition's approval row."""

    edition_id: str
    edition_name: str
    slot: datetime
    slot_key: str
    state: str
    story_count: int
    requested_at: datetime
    deadline: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "edition_id": self.edition_id,
            "edition": self.edition_name,
            "slot": self.slot.isoformat(),
            "state": self.state,
            "stories": self.story_count,
            "requested_at": self.requested_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "decided_at": iso(self.decided_at),
            "decided_by": self.decided_by,
            "note": self.note,
        }


def _to_approval(row: Row[Any]) -> Approval:
    return Approval(
        edition_id=row.edition_id,
        edition_name=row.edition_name,
        slot=as_utc(row.slot) or row.slot,
        slot_key=row.slot_key,
        state=row.state,
        story_count=row.story_count,
        requested_at=as_utc(row.requested_at) or row.requested_at,
        deadline=as_utc(row.deadline) or row.deadline,
        decided_at=as_utc(row.decided_at),
        decided_by=row.decided_by,
        note=row.note,
    )


def get_approval(store: Store, edition_id: str) -> Approval | None:
    query = select(edition_approvals).where(edition_approvals.c.edition_id == edition_id)
    with store.begin() as conn:
        row = conn.execute(query).first()
    return _to_approval(row) if row is not None else None


def approval_of_slot(store: Store, slot_key: str) -> Approval | None:
    """The approval row of the edition built for ``slot_key``, if any."""
    query = select(edition_approvals).where(edition_approvals.c.slot_key == slot_key)
    with store.begin() as conn:
        row = conn.execute(query.order_by(edition_approvals.c.requested_at.desc())).first()
    return _to_approval(row) if row is not None else None


def request_approval(
    store: Store, edition: Edition, slot_key: str, *, now: datetime, deadline: datetime
) -> Approval:
    """The approval row of ``edition``: made ``pending`` now if it has none yet."""
    values = {
        "edition_id": edition.id,
        "edition_name": edition.name,
        "slot": edition.slot.astimezone(UTC),
        "slot_key": slot_key,
        "state": "pending",
        "story_count": edition.story_count,
        "requested_at": now.astimezone(UTC),
        "deadline": deadline.astimezone(UTC),
    }
    if get_approval(store, edition.id) is None:
        try:
            with store.begin() as conn:
                conn.execute(insert(edition_approvals).values(**values))
        except IntegrityError:  # another run asked at the same moment
            pass
    found = get_approval(store, edition.id)
    assert found is not None
    return found


def list_approvals(
    store: Store, name: str | None = None, *, states: frozenset[str] | None = None
) -> list[Approval]:
    """Approval rows, newest slot first (of one edition name, of some states)."""
    query = select(edition_approvals).order_by(edition_approvals.c.slot.desc())
    if name is not None:
        query = query.where(edition_approvals.c.edition_name == name)
    if states is not None:
        query = query.where(edition_approvals.c.state.in_(sorted(states)))
    with store.begin() as conn:
        return [_to_approval(row) for row in conn.execute(query)]


def decide(
    store: Store,
    approval: Approval,
    state: State,
    *,
    now: datetime,
    by: str,
    note: str | None = None,
) -> Approval:
    """Move an open approval to ``state`` (compare-and-swap on its current state,
    so two editors deciding at once cannot both win); a discarded edition goes."""
    change = (
        update(edition_approvals)
        .where(
            edition_approvals.c.edition_id == approval.edition_id,
            edition_approvals.c.state == approval.state,
        )
        .values(state=state, decided_at=now.astimezone(UTC), decided_by=by, note=note)
        .returning(edition_approvals.c.edition_id)
    )
    with store.begin() as conn:
        if conn.execute(change).first() is None:
            raise ApprovalError(
                f"edition {approval.edition_id}: its approval changed meanwhile; "
                "see `digest editions show`"
            )
        if state in ("cancelled", "expired"):
            _discard(conn, approval.edition_id)
    found = get_approval(store, approval.edition_id)
    assert found is not None
    return found


def _discard(conn: Any, edition_id: str) -> None:
    """Forget a recorded edition that was never sent, so the next one carries its news."""
    sent = select(func.count()).select_from(deliveries).where(deliveries.c.edition_id == edition_id)
    if conn.execute(sent).scalar():
        raise ApprovalError(f"edition {edition_id} has delivery records; it cannot be discarded")
    conn.execute(delete(edition_stories).where(edition_stories.c.edition_id == edition_id))
    conn.execute(delete(editions).where(editions.c.id == edition_id))


def unreleased_ids() -> Any:
    """A subquery of the edition ids an editor has not approved (yet)."""
    return select(edition_approvals.c.edition_id).where(edition_approvals.c.state != "approved")
