"""``digest schedule``: APScheduler's own trigger, misfire and coalescing logic,
driven by a fake clock, with the edition ledger behind it.

``ManualScheduler`` is APScheduler's BaseScheduler with no loop of its own:
the test calls ``_process_jobs()`` (the method its BlockingScheduler calls
in its loop) at each tick of a fake clock, and jobs run synchronously on
APScheduler's DebugExecutor. The clock is faked where APScheduler reads it
(``datetime.now`` in its scheduler and executor modules) and where digest
does (the service's ``now``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

from digest.commands.app import App
from digest.schedule.claims import get_claim, list_claims
from digest.schedule.service import configure_scheduler
from digest.store import open_store
from digest.store.editions import list_editions
from tests.support.smtp_server import SmtpServer
from tests.test_run import DIGEST, SECRET, Site, make_site

AMS = ZoneInfo("Europe/Amsterdam")
EVERYONE = {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=AMS)


@dataclass
class FakeClock:
    """The one 'now' of a test; APScheduler and digest both read it."""

    instant: datetime

    def __call__(self) -> datetime:
        return self.instant

    def set(self, value: datetime) -> None:
        self.instant = value


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> FakeDatetime:
            value = fake.instant.astimezone(tz) if tz else fake.instant
            return value  # type: ignore[return-value]

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", FakeDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", FakeDatetime)
    return fake


class ManualScheduler(BaseScheduler):  # type: ignore[misc]
    """APScheduler without a loop: the test calls ``_process_jobs`` itself."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass


@dataclass
class Service:
    """One 'digest schedule' process: its app, scheduler and what its jobs did."""

    app: App
    scheduler: ManualScheduler
    events: list[tuple[str, int, datetime, Any]] = field(default_factory=list)

    def tick(self) -> None:
        self.scheduler._process_jobs()

    def fired(self, job_id: str) -> list[datetime]:
        return [
            when
            for jid, code, when, _ in self.events
            if jid == job_id and code == EVENT_JOB_EXECUTED
        ]

    def stop(self) -> None:
        self.scheduler.shutdown()
        self.app.close()


def start_service(site: Site, clock: FakeClock) -> Service:
    app = App(str(site.config))
    scheduler = ManualScheduler()
    service = Service(app, scheduler)

    def record(event: JobEvent) -> None:
        service.events.append(
            (event.job_id, event.code, event.scheduled_run_time, getattr(event, "retval", None))
        )

    configure_scheduler(scheduler, app, now=clock, executor=DebugExecutor())
    scheduler.add_listener(record, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start()
    return service


def walk(services: list[Service], clock: FakeClock, until: datetime, step: timedelta) -> None:
    while clock.instant < until:
        clock.set(clock.instant + step)
        for service in services:
            service.tick()


@pytest.fixture
def site(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Site:
    return _site(tmp_path, store_url, smtp_server, monkeypatch)


@pytest.fixture
def sqlite_site(tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Site:
    """SQLite only, for the long walks: the ledger is the same code on both backends
    (tests/test_claims.py runs it on each) and PostgreSQL would only add minutes."""
    return _site(tmp_path, f"sqlite:///{tmp_path / 'digest.db'}", smtp_server, monkeypatch)


def _site(
    tmp_path: Path, url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Site:
    made = make_site(tmp_path, url, smtp_server)
    made.sources[0]["every"] = "1d"
    made.write_config()
    monkeypatch.setenv("DIGEST_DATABASE_URL", made.url)
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    return made


def claims_by_day(site: Site) -> dict[tuple[str, str], int]:
    store = open_store(site.url)
    try:
        found = list_claims(store)
    finally:
        store.close()
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for claim in found:
        name, _, when = claim.slot_key.partition("@")
        counts[(name, when[:10])] += 1
    return counts


# --- DST ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "change"),
    [(local(2026, 3, 28, 0, 0), "2026-03-29"), (local(2026, 10, 24, 0, 0), "2026-10-25")],
)
def test_a_scheduler_walked_through_a_dst_change_runs_each_edition_once_a_day(
    sqlite_site: Site, clock: FakeClock, start: datetime, change: str
) -> None:
    site = sqlite_site
    site.editions.append({"name": "nacht", "title": "Nachteditie", "cron": "30 2 * * *"})
    site.write_config()
    for snapshot in (site.root / "wire").iterdir():
        stamp = (start - timedelta(hours=1)).timestamp()
        os.utime(snapshot, (stamp, stamp))
    clock.set(start.astimezone(UTC) - timedelta(minutes=1))
    service = start_service(site, clock)
    try:
        walk([service], clock, start.astimezone(UTC) + timedelta(days=3), timedelta(minutes=10))
    finally:
        service.stop()
    nacht_fires = Counter(f"{t.astimezone(AMS):%Y-%m-%d}" for t in service.fired("edition:nacht"))
    if change == "2026-10-25":
        assert nacht_fires[change] == 2  # APScheduler's trap: 02:30 CEST and 02:30 CET
    else:
        assert nacht_fires[change] == 1  # the missing 02:30 fires at 03:30 CEST
    days = [f"{start + timedelta(days=n):%Y-%m-%d}" for n in range(3)]
    assert claims_by_day(site) == {(name, day): 1 for name in ("ochtend", "nacht") for day in days}
    # The site's first edition (nacht, 02:30) had the news and went out; every later
    # edition of either name was skipped, so nobody got the same stories twice.
    assert site.received() == {email: 1 for email in EVERYONE}


# --- downtime -----------------------------------------------------------------------------


def test_a_service_down_over_0700_sends_the_morning_edition_once_at_0740(
    site: Site, clock: FakeClock
) -> None:
    clock.set(local(2026, 1, 21, 6, 0).astimezone(UTC))
    first = start_service(site, clock)
    walk([first], clock, local(2026, 1, 21, 6, 30), timedelta(minutes=5))
    first.stop()
    assert first.fired("edition:ochtend") == []
    clock.set(local(2026, 1, 21, 7, 40).astimezone(UTC))
    second = start_service(site, clock)
    try:
        walk([second], clock, local(2026, 1, 21, 12, 0), timedelta(minutes=5))
    finally:
        second.stop()
    assert second.fired("edition:ochtend") == [local(2026, 1, 21, 7, 0)]
    assert site.received() == EVERYONE
    assert [(c.slot_key, c.status) for c in _claims(site)] == [("ochtend@2026-01-21T07:00", "done")]


def test_a_service_down_for_two_days_sends_only_the_latest_slot(
    site: Site, clock: FakeClock
) -> None:
    clock.set(local(2026, 1, 19, 6, 0).astimezone(UTC))
    start_service(site, clock).stop()
    clock.set(local(2026, 1, 21, 7, 40).astimezone(UTC))
    service = start_service(site, clock)
    try:
        walk([service], clock, local(2026, 1, 21, 8, 0), timedelta(minutes=5))
    finally:
        service.stop()
    assert service.fired("edition:ochtend") == [local(2026, 1, 21, 7, 0)]  # coalesced
    assert [c.slot_key for c in _claims(site)] == ["ochtend@2026-01-21T07:00"]
    assert site.received() == EVERYONE


def test_with_catch_up_none_a_missed_slot_is_let_go(site: Site, clock: FakeClock) -> None:
    site.schedule = {"catch_up": "none"}
    site.write_config()
    clock.set(local(2026, 1, 21, 6, 0).astimezone(UTC))
    start_service(site, clock).stop()
    clock.set(local(2026, 1, 21, 7, 40).astimezone(UTC))
    service = start_service(site, clock)
    try:
        service.tick()
    finally:
        service.stop()
    missed = [e for e in service.events if e[1] == EVENT_JOB_MISSED]
    assert [(jid, when) for jid, _, when, _ in missed] == [
        ("edition:ochtend", local(2026, 1, 21, 7, 0))
    ]
    assert _claims(site) == [] and site.received() == {}


def test_a_failed_slot_is_retried_by_the_service_until_it_is_done(
    site: Site, clock: FakeClock
) -> None:
    site.smtp.reject("bram@example.nl")
    clock.set(local(2026, 1, 21, 6, 55).astimezone(UTC))
    service = start_service(site, clock)
    try:
        walk([service], clock, local(2026, 1, 21, 7, 1), timedelta(minutes=1))
        assert [c.status for c in _claims(site)] == ["failed"]
        site.smtp.handler.reject_recipients.clear()
        walk([service], clock, local(2026, 1, 21, 8, 0), timedelta(minutes=1))
    finally:
        service.stop()
    assert len(service.fired("retry")) == 6  # 07:05, 07:15, ... 07:55
    assert [c.status for c in _claims(site)] == ["done"]
    assert site.received() == EVERYONE


def test_a_job_removed_from_the_config_leaves_the_job_store(site: Site, clock: FakeClock) -> None:
    clock.set(local(2026, 1, 21, 6, 0).astimezone(UTC))
    site.editions.append({"name": "avond", "title": "Avondeditie", "cron": "0 18 * * *"})
    site.write_config()
    start_service(site, clock).stop()
    site.editions.pop()
    site.write_config()
    service = start_service(site, clock)
    try:
        ids = sorted(job.id for job in service.scheduler.get_jobs())
    finally:
        service.stop()
    assert ids == ["edition:ochtend", "retry", "source:wire"]


# --- several services ---------------------------------------------------------------------


def test_two_schedulers_on_one_job_store_both_fire_but_send_once(
    site: Site, clock: FakeClock
) -> None:
    """Both read the due job before either moves it on (forced with a barrier):
    APScheduler runs it twice; the ledger lets one of them build and send."""
    clock.set(local(2026, 1, 21, 6, 59).astimezone(UTC))
    services = [start_service(site, clock), start_service(site, clock)]
    barrier = threading.Barrier(2)
    for service in services:
        store = service.scheduler._lookup_jobstore("default")
        fetch = store.get_due_jobs

        def fetch_then_wait(now: datetime, fetch: Any = fetch) -> Any:
            due = fetch(now)
            barrier.wait(timeout=30)
            return due

        store.get_due_jobs = fetch_then_wait
    clock.set(local(2026, 1, 21, 7, 0, 1).astimezone(UTC))
    threads = [threading.Thread(target=s.tick) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for service in services:
        service.stop()
    assert [len(s.fired("edition:ochtend")) for s in services] == [1, 1]
    reports = [report for s in services for *_, report in s.events if report is not None]
    statuses = sorted(e.status for report in reports for e in report.editions)
    assert statuses.count("done") == 1
    assert len(statuses) == 2 and set(statuses) - {"done"} <= {"busy", "finished", "helped"}
    assert site.received() == EVERYONE
    store = open_store(site.url)
    try:
        assert [e.id for e in list_editions(store)] == ["ochtend-2026-01-21T0700"]
    finally:
        store.close()


def _claims(site: Site) -> list[Any]:
    store = open_store(site.url)
    try:
        return list_claims(store)
    finally:
        store.close()


# --- the real service, in processes -------------------------------------------------------


def _service(site: Site, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen([DIGEST, "schedule"], env=site.env, stdout=handle, stderr=handle)


def _wait_for(check: Any, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_two_services_on_one_postgresql_never_send_twice(
    tmp_path: Path, fresh_postgres_url: str, smtp_server: SmtpServer, clock: FakeClock
) -> None:
    """Two real ``digest schedule`` processes on one database, started after a
    slot both missed: the stored run is due on start and whichever services fire
    it (one or both, depending on who reads the job store first), one edition
    and one mail each go out; both stop cleanly on SIGTERM. That both firing is
    harmless is shown deterministically by the in-process test above."""
    real_now = datetime.now(UTC)
    slot = (real_now - timedelta(minutes=2)).astimezone(AMS).replace(second=0, microsecond=0)
    site = make_site(tmp_path, fresh_postgres_url, smtp_server)
    site.editions[0]["cron"] = f"{slot.minute} {slot.hour} * * *"
    site.sources[0]["every"] = "1h"
    site.write_config()
    for snapshot in (tmp_path / "wire").iterdir():
        stamp = (slot - timedelta(minutes=30)).timestamp()
        os.utime(snapshot, (stamp, stamp))
    clock.set(slot.astimezone(UTC) - timedelta(minutes=1))  # a service that stopped before the slot
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DIGEST_DATABASE_URL", site.url)
        start_service(site, clock).stop()
    logs = [tmp_path / "service-a.log", tmp_path / "service-b.log"]
    services = [_service(site, log) for log in logs]
    key = f"ochtend@{slot:%Y-%m-%dT%H:%M}"
    store = open_store(site.url)
    try:
        finished = _wait_for(
            lambda: (c := get_claim(store, key)) is not None and c.status == "done"
        )
        _wait_for(lambda: len(site.received()) == 3, timeout=30)
    finally:
        for service in services:
            service.send_signal(signal.SIGTERM)
        codes = [service.wait(60) for service in services]
        store.close()
    texts = [log.read_text(errors="replace") for log in logs]
    assert finished, texts
    assert codes == [0, 0], texts
    assert all("stopped" in text for text in texts)
    assert site.received() == EVERYONE
