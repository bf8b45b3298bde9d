"""The ledger's statements per chunk: a claim that is one chunk goes straight into
*sending* (no mark of its own), and is given back when it never went out."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from digest.deliver import Backend, Batch, Outcome, Result, ledger
from digest.deliver.send import send_edition
from digest.store import Store
from digest.store.schema import deliveries
from tests.delivery_helpers import SIGNER, SLOT, add_readers, make_config, make_edition, record

EDITION = "ochtend-2026-01-21T0700"


class Recording(Backend):
    """Accepts every recipient; notes how many rows were *sending* at each hand-over."""

    name = "recording"
    claim_size = batch_size = 4

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sending: list[tuple[int, int]] = []

    @classmethod
    def from_config(cls, config: Any) -> Recording:
        raise TypeError("built directly by the test")

    def send(self, batch: Batch) -> dict[int, Result]:
        self.sending.append(
            (len(batch.recipients), ledger.counts(self.store, EDITION).get("sending", 0))
        )
        return {to.subscriber_id: Result(Outcome.SENT) for to in batch.recipients}


def _ledger_updates(store: Store) -> list[str]:
    seen: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith(("UPDATE DELIVERIES", "WITH PICKED")):
            seen.append(
                re.sub(
                    r"%\(\w+\)s(::[A-Z]+(?: WITH TIME ZONE)?)?", "?", " ".join(statement.split())
                )
            )

    event.listen(store.engine, "before_cursor_execute", note)
    return seen


def test_each_chunk_is_one_claim_into_sending_and_one_record(store: Store, tmp_path: Path) -> None:
    edition = record(store, make_edition())
    add_readers(store, 40, locales=("nl",))
    backend = Recording(store)
    updates = _ledger_updates(store)
    report = send_edition(
        store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER, backend=backend
    )
    assert report.after == {"sent": 37, "skipped": 3}
    chunks = len(backend.sending)
    assert sum(n for n, _ in backend.sending) == 37
    assert all(sending == n for n, sending in backend.sending)  # one chunk sending at a time
    claims = [u for u in updates if u.startswith("WITH picked")]
    records = [u for u in updates if u.startswith("UPDATE deliveries SET status=?, sent_at=?")]
    marks = [u for u in updates if u.startswith("UPDATE deliveries SET status=? WHERE")]
    assert len(claims) >= chunks  # (and one per segment that found it empty)
    assert len(records) == chunks
    assert [m for m in marks if "claimed_by = ?" in m] == []  # no mark besides the claim


def test_a_claim_into_sending_that_never_went_out_is_pending_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.deliver import send as send_module

    edition = record(store, make_edition())
    add_readers(store, 20, locales=("nl",))
    backend = Recording(store)
    made = {"n": 0}
    real = send_module._Run._addressee

    def breaking(self: Any, row: ledger.Claimed) -> Any:
        made["n"] += 1
        if made["n"] == 9:  # the first recipient of the third claim
            raise RuntimeError("broke while preparing")
        return real(self, row)

    monkeypatch.setattr(send_module._Run, "_addressee", breaking)
    with pytest.raises(RuntimeError, match="broke while preparing"):
        send_edition(
            store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER, backend=backend
        )
    after = ledger.counts(store, EDITION)
    assert after.get("sending", 0) == 0 and after.get("claimed", 0) == 0
    assert after["sent"] == 8 and after["pending"] == sum(after.values()) - 8 - after.get(
        "skipped", 0
    )


def _statements(store: Store) -> list[str]:
    seen: list[str] = []
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_rest: seen.append(" ".join(statement.split())),
    )
    return seen


def _scans(seen: list[str]) -> dict[str, int]:
    """How many of ``seen`` are each statement that reads every row of the edition
    at the start or end of a run."""
    kinds = {
        "reopen": lambda s: s.startswith("UPDATE deliveries SET status=") and "claimed_by=" in s
        and "resends=" not in s,
        "recover": lambda s: "DISTINCT deliveries.claimed_by" in s,
        "resend": lambda s: s.startswith("UPDATE deliveries") and "resends=" in s,
        "waiting": lambda s: s.startswith("SELECT count(*)") and "resends <" in s,
        "problems": lambda s: s.startswith("SELECT subscribers.email, deliveries.status"),
    }  # fmt: skip
    return {kind: sum(map(test, seen)) for kind, test in kinds.items()}


def test_a_fresh_edition_skips_the_scans_for_failed_claimed_and_uncertain_rows(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edition = record(store, make_edition())
    add_readers(store, 12, locales=("nl",))
    config = make_config(tmp_path)
    seen = _statements(store)
    first = send_edition(store, config, edition, now=SLOT, signer=SIGNER, backend=Recording(store))
    assert set(_scans(seen).values()) == {0}  # nothing failed, claimed or uncertain
    assert first.after == {"sent": 11, "skipped": 1}

    # One row failed and one left *claimed* by a run whose lease ran out: the next
    # run finds both.
    failed, stale = sorted(ledger.statuses(store, EDITION))[:2]
    ledger.record(store, EDITION, {failed: Result(Outcome.FAILED, "refused")}, now=SLOT)
    with store.begin() as conn:
        conn.execute(
            deliveries.update()
            .where(deliveries.c.subscriber_id == stale)
            .values(
                status="claimed", claimed_by="elsewhere:1#1", claimed_at=SLOT - timedelta(days=1)
            )
        )
    seen.clear()
    again = send_edition(store, config, edition, now=SLOT, signer=SIGNER, backend=Recording(store))
    assert _scans(seen) == {"reopen": 1, "recover": 1, "resend": 0, "waiting": 0, "problems": 0}
    assert again.after == {"sent": 11, "skipped": 1}


class Accepting(Recording):
    """Accepts every recipient without reading the ledger itself."""

    def send(self, batch: Batch) -> dict[int, Result]:
        return {to.subscriber_id: Result(Outcome.SENT) for to in batch.recipients}


def _counts(seen: list[str]) -> int:
    """How many of ``seen`` are :func:`ledger.counts` (one read of every row of the edition)."""
    return sum(s.startswith("SELECT deliveries.status, count(*)") for s in seen)


def test_a_fresh_edition_is_counted_before_and_after_and_not_again_in_between(
    store: Store, tmp_path: Path
) -> None:
    edition = record(store, make_edition())
    add_readers(store, 12, locales=("nl",))
    seen = _statements(store)
    totals: list[int] = []
    report = send_edition(
        store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER,
        backend=Accepting(store), progress=lambda p: totals.append(p.total),
    )  # fmt: skip
    assert _counts(seen) == 2  # before the run and after it; the total is the pending of before
    assert report.after == {"sent": 11, "skipped": 1}
    assert set(totals) == {11}  # the planned pending rows (one was planned skipped)


def test_rows_made_pending_again_by_the_tidy_are_counted_in_the_total(
    store: Store, tmp_path: Path
) -> None:
    edition = record(store, make_edition())
    add_readers(store, 12, locales=("nl",))
    config = make_config(tmp_path)
    send_edition(store, config, edition, now=SLOT, signer=SIGNER, backend=Recording(store))
    failed = sorted(ledger.statuses(store, EDITION))[:3]
    ledger.record(store, EDITION, {i: Result(Outcome.FAILED, "refused") for i in failed}, now=SLOT)
    seen = _statements(store)
    totals: list[int] = []
    again = send_edition(
        store, config, edition, now=SLOT, signer=SIGNER,
        backend=Accepting(store), progress=lambda p: totals.append(p.total),
    )  # fmt: skip
    assert _counts(seen) == 3  # the failed rows were reopened: pending is counted again
    assert set(totals) == {3}
    assert again.after == {"sent": 11, "skipped": 1}
