"""The delivery ledger on SQLite and PostgreSQL: plan, claim, record, recover."""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.deliver import Backend, Batch, Outcome, Result, ledger, runners
from digest.deliver import plan as plan_module
from digest.deliver.plan import ChoiceRows, plan_active
from digest.deliver.segments import SegmentKey
from digest.deliver.send import RetryPolicy, send_edition
from digest.errors import DeliveryError
from digest.store import Store, open_store
from digest.store.subscribers import list_subscribers, set_status
from tests.delivery_helpers import (
    SIGNER,
    SLOT,
    add_readers,
    make_config,
    make_edition,
    record,
    region_choices,
)
from tests.support.sendgrid_server import SendGridServer

EDITION = "ochtend-2026-01-21T0700"


def planned(store: Store, n: int = 10, segment: str = "nl:*") -> list[int]:
    record(store, make_edition())
    add_readers(store, n)
    ids = [s.id for s in list_subscribers(store)]
    plan_module.plan_rows(store, EDITION, [plan_module.PlanRow(i, segment) for i in ids])
    return ids


def test_planning_twice_keeps_what_happened(store: Store) -> None:
    ids = planned(store)
    ledger.record(store, EDITION, {ids[0]: Result(Outcome.SENT, provider_id="sg-1")}, now=SLOT)
    rows = [plan_module.PlanRow(i, "nl:*") for i in ids] + [
        plan_module.PlanRow(ids[1], "x", "skipped")
    ]
    plan_module.plan_rows(store, EDITION, rows)
    assert ledger.counts(store, EDITION) == {"sent": 1, "pending": 9}


def test_claims_are_disjoint_and_limited(store: Store) -> None:
    ids = planned(store, 10)
    first = ledger.claim(store, EDITION, "nl:*", owner="a#1", limit=4, now=SLOT)
    second = ledger.claim(store, EDITION, "nl:*", owner="b#1", limit=4, now=SLOT)
    third = ledger.claim(store, EDITION, "nl:*", owner="a#2", limit=4, now=SLOT)
    got = [[c.subscriber_id for c in claim] for claim in (first, second, third)]
    assert [len(g) for g in got] == [4, 4, 2]
    assert sorted(i for g in got for i in g) == ids
    assert first[0].email.endswith("@example.org") and first[0].status == "active"
    assert ledger.claim(store, EDITION, "nl:*", owner="c#1", limit=4, now=SLOT) == []


def test_claims_keep_to_their_segment_and_subscriber(store: Store) -> None:
    ids = planned(store, 6)
    assert ledger.segments_with_work(store, EDITION) == ["nl:*"]
    assert ledger.claim(store, EDITION, "en:*", owner="a#1", limit=10, now=SLOT) == []
    only = ledger.claim(store, EDITION, "nl:*", owner="a#2", limit=10, now=SLOT, only=ids[3])
    assert [c.subscriber_id for c in only] == [ids[3]]
    assert ledger.segments_with_work(store, EDITION, only=ids[3]) == []


def test_handing_over_needs_the_claim(store: Store) -> None:
    planned(store, 4)
    mine = [
        c.subscriber_id
        for c in ledger.claim(store, EDITION, "nl:*", owner="a#1", limit=2, now=SLOT)
    ]
    assert not ledger.mark_sending(store, EDITION, mine, "b#1")
    assert ledger.counts(store, EDITION) == {"claimed": 2, "pending": 2}
    assert ledger.mark_sending(store, EDITION, mine, "a#1")
    assert ledger.counts(store, EDITION) == {"sending": 2, "pending": 2}


def test_results_are_recorded_with_their_reasons(store: Store) -> None:
    ids = planned(store, 5)
    results = {
        ids[0]: Result(Outcome.SENT, provider_id="sg-1"),
        ids[1]: Result(Outcome.FAILED, "SendGrid refused the batch (400): bad"),
        ids[2]: Result(Outcome.UNCERTAIN, "no answer"),
        ids[3]: Result(Outcome.SANDBOX, "sandbox"),
        ids[4]: Result(Outcome.RETRY, "429"),
    }
    ledger.record(store, EDITION, results, now=SLOT)
    assert ledger.counts(store, EDITION) == {
        "sent": 1,
        "failed": 1,
        "uncertain": 1,
        "sandbox": 1,
        "claimed": 1,
    }
    assert ledger.problems(store, EDITION) == [
        ("reader000001@example.org", "failed", "SendGrid refused the batch (400): bad"),
        ("reader000002@example.org", "uncertain", "no answer"),
    ]


def test_a_new_run_reopens_failed_and_sandboxed_but_not_uncertain(store: Store) -> None:
    ids = planned(store, 3)
    ledger.record(
        store,
        EDITION,
        {
            ids[0]: Result(Outcome.FAILED, "x"),
            ids[1]: Result(Outcome.SANDBOX, "y"),
            ids[2]: Result(Outcome.UNCERTAIN, "z"),
        },
        now=SLOT,
    )
    assert ledger.reopen(store, EDITION) == 2
    assert ledger.counts(store, EDITION) == {"pending": 2, "uncertain": 1}
    assert ledger.reopen(store, EDITION, retry_uncertain=True) == 1
    assert ledger.counts(store, EDITION) == {"pending": 3}


def _interrupted(store: Store, owner: str) -> None:
    """Four rows claimed by ``owner``: two of them handed over, then the owner vanished."""
    planned(store, 4)
    claimed = ledger.claim(store, EDITION, "nl:*", owner=owner, limit=4, now=SLOT)
    ledger.mark_sending(store, EDITION, [c.subscriber_id for c in claimed[:2]], owner)


def test_stale_claims_go_back_and_stale_hand_overs_become_uncertain(store: Store) -> None:
    _interrupted(store, "elsewhere:1:abc#1")
    assert ledger.recover(store, EDITION, now=SLOT + timedelta(minutes=5), idempotent=False) == (
        0,
        0,
    )
    later = SLOT + ledger.DEFAULT_LEASE + timedelta(seconds=1)
    assert ledger.recover(store, EDITION, now=later, idempotent=False) == (2, 2)
    assert ledger.counts(store, EDITION) == {"pending": 2, "uncertain": 2}
    assert {p[2] for p in ledger.problems(store, EDITION)} == {ledger.INTERRUPTED}


def test_an_idempotent_backend_simply_repeats_interrupted_hand_overs(store: Store) -> None:
    _interrupted(store, "elsewhere:1:abc#1")
    later = SLOT + ledger.DEFAULT_LEASE + timedelta(seconds=1)
    assert ledger.recover(store, EDITION, now=later, idempotent=True) == (4, 0)
    assert ledger.counts(store, EDITION) == {"pending": 4}


def test_claims_of_a_dead_local_process_are_stale_at_once(store: Store) -> None:
    ended = subprocess.Popen(["true"])
    ended.wait()
    pid = ended.pid
    dead = runners.runner_id().replace(f":{os.getpid()}:", f":{pid}:")
    _interrupted(store, f"{dead}#1")
    assert not runners.owner_alive(dead) and runners.owner_alive(runners.runner_id())
    assert ledger.recover(store, EDITION, now=SLOT, idempotent=False) == (2, 2)


def test_claims_of_a_live_process_are_left_alone(store: Store) -> None:
    _interrupted(store, f"{runners.runner_id()}#1")
    assert ledger.recover(store, EDITION, now=SLOT, idempotent=False) == (0, 0)


def test_rows_planned_earlier_are_checked_again_at_send_time(store: Store, tmp_path: Path) -> None:
    edition = record(store, make_edition())  # news in groenland, zeeland, friesland
    add_readers(store, 6, locales=("nl",))  # the fifth chose limburg only
    plan_module.plan_rows(
        store, EDITION, [plan_module.PlanRow(s.id, "nl:*") for s in list_subscribers(store)]
    )
    set_status(store, "reader000002@example.org", "unsubscribed", now=SLOT)
    report = send_edition(store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER)
    assert report.after == {"sent": 4, "skipped": 2}
    outbox = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert outbox == [f"{EDITION}.{i}.eml" for i in (1, 2, 4, 6)]


def test_one_sqlite_runner_at_a_time(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    edition = record(store, make_edition())
    add_readers(store, 3)
    config = make_config(tmp_path)
    with runners.runner_lock(store), pytest.raises(DeliveryError, match="another `digest send`"):
        send_edition(store, config, edition, now=SLOT, signer=SIGNER)
    assert send_edition(store, config, edition, now=SLOT, signer=SIGNER).sent == 3
    store.close()


@pytest.mark.slow
def test_two_runners_on_postgresql_send_each_mail_once(
    fresh_postgres_url: str,
    sendgrid_server: SendGridServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    setup = open_store(fresh_postgres_url)
    edition = record(setup, make_edition())
    add_readers(setup, 1200)
    setup.close()
    config = make_config(
        tmp_path, backend="sendgrid", sendgrid={"host": sendgrid_server.url, "batch_size": 20}
    )
    sendgrid_server.delay = 0.005  # long enough that the runners overlap
    reports = []
    errors: list[BaseException] = []

    def runner() -> None:
        store = open_store(fresh_postgres_url)
        try:
            reports.append(
                send_edition(
                    store, config, edition, now=SLOT, signer=SIGNER, retry=RetryPolicy(base=0.001)
                )
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    recipients = sendgrid_server.recipients()
    wanted = len(recipients)
    assert len(set(recipients)) == wanted
    assert all(r.sent > 0 for r in reports), "both runners must have taken a share"
    assert sum(r.sent for r in reports) == wanted
    assert sendgrid_server.invalid == []
    final = reports[-1].after
    assert final.get("sent") == wanted and set(final) <= {"sent", "skipped"}


def test_claims_by_many_threads_never_overlap(fresh_postgres_url: str) -> None:
    setup = open_store(fresh_postgres_url)
    ids = planned(setup, 300)
    setup.close()
    taken: list[list[int]] = []

    def claimer(n: int) -> None:
        store = open_store(fresh_postgres_url)
        for round_ in range(100):
            got = ledger.claim(store, EDITION, "nl:*", owner=f"t{n}#{round_}", limit=7, now=SLOT)
            if not got:
                break
            taken.append([c.subscriber_id for c in got])
        store.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    flat = sorted(i for batch in taken for i in batch)
    assert flat == ids


def test_a_plan_on_postgresql_leaves_fresh_statistics(fresh_postgres_url: str) -> None:
    """Without them the planner took a just-planned edition for a few hundred
    rows and read the whole edition for every recorded chunk (stop 29's note)."""
    store = open_store(fresh_postgres_url)
    record(store, make_edition())
    add_readers(store, 400)
    plan_active(store, EDITION, lambda key: ChoiceRows(key.label))
    with store.begin() as conn:
        estimates: dict[str, float] = dict(
            conn.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class"
                " WHERE relname IN ('deliveries', 'subscribers')"
            ).all()
        )
    store.close()
    assert estimates == {"deliveries": 400, "subscribers": 400}


def test_a_plan_does_not_wait_long_for_statistics_another_holds(
    fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A VACUUM or ANALYZE elsewhere holds the ledger: the plan is written and the
    send can start, without fresh statistics, after ANALYZE_WAIT; a warning says so."""
    monkeypatch.setattr(plan_module, "ANALYZE_WAIT", "200ms")
    store = open_store(fresh_postgres_url)
    record(store, make_edition())
    add_readers(store, 40)
    other = open_store(fresh_postgres_url)
    with other.begin() as conn:  # what a running ANALYZE or VACUUM holds
        conn.exec_driver_sql("LOCK TABLE deliveries IN SHARE UPDATE EXCLUSIVE MODE")
        plan_active(store, EDITION, lambda key: ChoiceRows(key.label))
    assert ledger.counts(store, EDITION) == {"pending": 40}
    with store.begin() as conn:
        (estimate,) = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'deliveries'"
        ).one()
    other.close()
    store.close()
    assert estimate != 40  # not analyzed: it gave up waiting
    (warning,) = [r for r in caplog.records if r.name == "digest.deliver.plan"]
    assert warning.levelname == "WARNING" and "the send goes on without them" in warning.message
    assert "lock timeout" in warning.message  # PostgreSQL's reason, named


def test_planning_everyone_groups_segments_and_keeps_what_happened(store: Store) -> None:
    record(store, make_edition())
    add_readers(store, 64)

    def decide(key: SegmentKey) -> ChoiceRows:
        return ChoiceRows(key.label, *(("skipped", "none") if key.locale == "en" else ()))

    plan_active(store, EDITION, decide)
    assert ledger.counts(store, EDITION) == {"pending": 32, "skipped": 32}
    assert ledger.segments_with_work(store, EDITION) == sorted(
        SegmentKey(choice, "nl").label for choice in region_choices()
    )
    first = ledger.claim(store, EDITION, "nl:*", owner="a#1", limit=10, now=SLOT)
    ledger.record(store, EDITION, {c.subscriber_id: Result(Outcome.SENT) for c in first}, now=SLOT)
    plan_active(store, EDITION, decide)
    assert ledger.counts(store, EDITION) == {"sent": 2, "pending": 30, "skipped": 32}


def test_a_plan_that_failed_midway_does_not_stop_the_next(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(store, make_edition())
    add_readers(store, 8)
    real = plan_module._insert_window

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(plan_module, "_insert_window", broken)
    with pytest.raises(RuntimeError):
        plan_active(store, EDITION, lambda key: ChoiceRows(key.label))
    monkeypatch.setattr(plan_module, "_insert_window", real)
    # On SQLite the choices' temporary table outlived the failed transaction on
    # the pooled connection; planning again reuses it, emptied.
    plan_active(store, EDITION, lambda key: ChoiceRows(key.label))
    assert ledger.counts(store, EDITION) == {"pending": 8}


def test_a_choice_made_while_planning_is_planned_too(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(store, make_edition())
    add_readers(store, 40)
    seen = plan_module._active_choices(store)
    # as if eight readers chose en-only regions after the choices were read
    monkeypatch.setattr(plan_module, "_active_choices", lambda _: [c for c in seen if c[1] == "nl"])
    plan_active(store, EDITION, lambda key: ChoiceRows(key.label))
    assert ledger.counts(store, EDITION) == {"pending": 40}
    english = ledger.claim(store, EDITION, "en:*", owner="a#1", limit=10, now=SLOT)
    assert [c.email for c in english] == ["reader000016@example.org"]


def test_released_claims_go_back_to_pending(store: Store) -> None:
    planned(store, 6)
    taken = ledger.claim(store, EDITION, "nl:*", owner="a#1", limit=4, now=SLOT)
    ledger.mark_sending(store, EDITION, [c.subscriber_id for c in taken[:1]], "a#1")
    assert ledger.release(store, EDITION, ["a#1", "b#1"]) == 3
    assert ledger.counts(store, EDITION) == {"pending": 5, "sending": 1}


class CheckingBackend(Backend):
    """Records, at each hand-over, how many rows the ledger shows as sending."""

    name = "checking"
    claim_size = batch_size = 3

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sending: list[tuple[int, int]] = []

    @classmethod
    def from_config(cls, config: Any) -> CheckingBackend:
        raise TypeError("the test builds this backend directly, never from a config")

    def send(self, batch: Batch) -> dict[int, Result]:
        sending = ledger.counts(self.store, EDITION).get("sending", 0)
        self.sending.append((len(batch.recipients), sending))
        return {to.subscriber_id: Result(Outcome.SENT) for to in batch.recipients}


def test_one_chunk_at_a_time_is_sending(store: Store, tmp_path: Path) -> None:
    edition = record(store, make_edition())
    add_readers(store, 40, locales=("nl",))
    backend = CheckingBackend(store)
    report = send_edition(
        store, make_config(tmp_path), edition, now=SLOT, signer=SIGNER, backend=backend
    )
    assert report.after == {"sent": 37, "skipped": 3}
    assert sum(n for n, _ in backend.sending) == 37
    assert all(sending == n for n, sending in backend.sending)  # none but this chunk


def test_a_run_stopped_by_an_error_records_the_chunk_in_flight(
    store: Store, tmp_path: Path
) -> None:
    edition = record(store, make_edition())
    add_readers(store, 40, locales=("nl",))
    backend = CheckingBackend(store)
    ticks: list[int] = []

    def progress(_: object) -> None:
        ticks.append(1)
        if len(ticks) == 3:  # after the second claim, its chunk with the backend
            raise RuntimeError("stopped")

    config = make_config(tmp_path)
    with pytest.raises(RuntimeError, match="stopped"):
        send_edition(
            store, config, edition, now=SLOT, signer=SIGNER, backend=backend, progress=progress
        )
    assert ledger.counts(store, EDITION) == {"sent": 6, "pending": 31, "skipped": 3}
    again = send_edition(store, config, edition, now=SLOT, signer=SIGNER, backend=backend)
    assert again.after == {"sent": 37, "skipped": 3}
    assert sum(n for n, _ in backend.sending) == 37  # each once
