"""``digest run``: one edition per slot and one mail per subscriber, whatever runs at once,
dies half-way, or comes back after days; on SQLite and on PostgreSQL.

Mail goes to a real SMTP server (aiosmtpd) that records every message, so a
second copy of any mail would be counted, unlike in the idempotent outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from digest.cli import cli, main
from digest.commands.app import App
from digest.config import PROJECT_ROOT
from digest.schedule.claims import claim_slot, heartbeat, list_claims
from digest.schedule.job import RunReport, run_job
from digest.schedule.slots import Slot
from digest.store import open_store
from digest.store.editions import list_editions
from digest.store.schema import deliveries
from digest.store.subscribers import import_subscribers
from digest.subscribers import ImportRow
from tests.support import free_port
from tests.support.smtp_server import SmtpServer

AMS_AT = "2026-01-21T07:00:30+01:00"
AT = datetime.fromisoformat(AMS_AT)
SLOT_KEY = "ochtend@2026-01-21T07:00"
CAPTURED = datetime(2026, 1, 21, 6, 50, tzinfo=UTC) - timedelta(hours=1)  # 06:50 local
SECRET = "run-tests-secret-key-0123456789"
FEEDS = Path(__file__).parent / "data" / "feeds"
DIGEST = str(Path(sys.executable).parent / "digest")


@dataclass
class Site:
    """A digest installation in a temporary folder: config, sources, subscribers, SMTP."""

    root: Path
    url: str
    smtp: SmtpServer
    editions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    schedule: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "digest.toml"

    def write_config(self) -> None:
        lines = [
            "[site]",
            f'regions = "{PROJECT_ROOT / "config" / "regions.toml"}"',
            'base_url = "https://digest.example.org"',
            "[storage]",
            'url = "sqlite:///config-db-not-used.db"',  # DIGEST_DATABASE_URL wins
            "[delivery]",
            'backend = "smtp"',
            'from = "Digest <digest@example.org>"',
            "[delivery.smtp]",
            f'host = "{self.smtp.host}"',
            f"port = {self.smtp.port}",
            'security = "none"',
            "[archive]",
            'dir = "archive"',
            "[schedule]",
            *(f'{k} = "{v}"' for k, v in self.schedule.items()),
        ]
        for table, entries in (("sources", self.sources), ("editions", self.editions)):
            for entry in entries:
                lines.append(f"[[{table}]]")
                lines += [f"{k} = {_toml(v)}" for k, v in entry.items()]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DIGEST_CONFIG": str(self.config),
            "DIGEST_DATABASE_URL": self.url,
            "DIGEST_SECRET_KEY": SECRET,
        }

    def app(self) -> App:
        return App(str(self.config))

    def received(self) -> Counter[str]:
        return Counter(self.smtp.recipients())

    def subscribe(self, *emails: str) -> None:
        rows = [ImportRow(n, email, None, None) for n, email in enumerate(emails, start=1)]
        store = open_store(self.url)
        try:
            import_subscribers(store, rows, now=CAPTURED)
        finally:
            store.close()


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def wire_folder(root: Path) -> Path:
    folder = root / "wire"
    folder.mkdir()
    for seed in sorted((PROJECT_ROOT / "seeds").glob("*.txt")):
        target = folder / seed.name
        shutil.copyfile(seed, target)
        os.utime(target, (CAPTURED.timestamp(), CAPTURED.timestamp()))
    return folder


def make_site(root: Path, url: str, smtp: SmtpServer, **overrides: Any) -> Site:
    site = Site(root, url, smtp)
    site.sources = [{"name": "wire", "path": str(wire_folder(root)), "kind": "wire"}]
    site.editions = [{"name": "ochtend", "title": "Ochtendeditie", "cron": "0 7 * * *"}]
    for key, value in overrides.items():
        setattr(site, key, value)
    site.write_config()
    site.subscribe("ans@example.nl", "bram@example.nl", "cor@example.nl")
    return site


@pytest.fixture
def site(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    made = make_site(tmp_path, store_url, smtp_server)
    for key in ("DIGEST_CONFIG", "DIGEST_DATABASE_URL", "DIGEST_SECRET_KEY"):
        monkeypatch.setenv(key, made.env[key])
    yield made


def invoke(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def run_in_process(site: Site, at: datetime = AT, **kwargs: Any) -> RunReport:
    app = site.app()
    try:
        return run_job(app, kwargs.pop("edition", None), at, **kwargs)
    finally:
        app.close()


def dead_owner() -> str:
    """The owner name of a run whose process has ended, on this host."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:dead"


# --- the acceptance test: six runs at once ----------------------------------------------


@pytest.mark.slow
def test_six_runs_started_together_give_one_edition_and_one_mail_each(site: Site) -> None:
    runs = [
        subprocess.Popen(
            [DIGEST, "run", "--at", AMS_AT],
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0] * 6, outputs
    said = [out for out, _ in outputs]
    assert sum(f"{SLOT_KEY}: done:" in out for out in said) == 1, said
    assert all(
        any(f"{SLOT_KEY}: {status}:" in out for status in ("done", "busy", "finished", "helped"))
        for out in said
    ), said
    assert site.received() == {
        "ans@example.nl": 1,
        "bram@example.nl": 1,
        "cor@example.nl": 1,
    }
    store = open_store(site.url)
    try:
        assert [e.id for e in list_editions(store)] == ["ochtend-2026-01-21T0700"]
        assert [(c.slot_key, c.status) for c in list_claims(store)] == [(SLOT_KEY, "done")]
    finally:
        store.close()
    assert not (site.root / "config-db-not-used.db").exists()  # the environment's URL won


@pytest.mark.slow
def test_runners_on_postgresql_split_a_large_delivery_and_never_send_twice(
    tmp_path: Path, fresh_postgres_url: str, smtp_server: SmtpServer
) -> None:
    """300 subscribers, a mail server taking a few milliseconds per message, four
    runs at once: the runs that lost the slot help deliver by claiming ledger
    batches (FOR UPDATE SKIP LOCKED); every address gets exactly one mail."""
    site = make_site(tmp_path, fresh_postgres_url, smtp_server)
    site.subscribe(*(f"lezer{n:04d}@example.nl" for n in range(297)))
    accept = smtp_server.handler.handle_DATA

    async def slowly(server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.004)
        return await accept(server, session, envelope)

    smtp_server.handler.handle_DATA = slowly  # type: ignore[method-assign]
    runs = [
        subprocess.Popen(
            [DIGEST, "run", "--at", AMS_AT], env=site.env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    said = [run.communicate(timeout=240)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, said
    received = site.received()
    assert len(received) == 300 and set(received.values()) == {1}
    assert sum(f"{SLOT_KEY}: done:" in out for out in said) == 1, said
    assert sum(f"{SLOT_KEY}: helped:" in out for out in said) >= 1, said


# --- one slot, one run -------------------------------------------------------------------


def test_a_second_run_for_the_same_slot_does_nothing_and_says_so(site: Site) -> None:
    first = invoke("run", "--at", AMS_AT)
    assert first.exit_code == 0, first.output
    assert f"{SLOT_KEY}: done: " in first.output
    second = invoke("run", "--at", "2026-01-21T07:15:00+01:00")
    assert second.exit_code == 0
    assert f"{SLOT_KEY}: finished: already done at " in second.output
    assert "source wire" not in second.output  # it stood down before ingesting
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def test_quiet_prints_nothing_on_success(site: Site) -> None:
    result = CliRunner().invoke(cli, ["run", "--quiet", "--at", AMS_AT])
    assert result.exit_code == 0
    assert result.output == ""


def test_a_run_while_another_holds_the_slot_stands_down(site: Site) -> None:
    app = site.app()
    slot = Slot("ochtend", datetime(2026, 1, 21, 7, 0), AT.replace(second=0))
    try:
        claim_slot(app.store, slot, "other-host:77:live", now=datetime.now(UTC))
        report = run_job(app, None, AT, help_poll=0.01, help_wait=timedelta(seconds=0.05))
    finally:
        app.close()
    (done,) = report.editions
    assert done.status == "busy"
    assert "other-host:77:live" in done.message
    assert site.received() == {}


def test_nothing_due_still_ingests_and_says_what_is_next(site: Site) -> None:
    assert invoke("run", "--at", AMS_AT).exit_code == 0
    sent = site.received()
    result = invoke("run", "--at", "2026-01-21T14:00:00+01:00")
    assert result.exit_code == 0
    assert "no edition due at 2026-01-21 14:00 CET; next: ochtend 2026-01-22 07:00" in result.output
    assert "source wire: 2 files: " in result.output
    assert site.received() == sent


def test_the_first_run_ever_makes_the_latest_slot_however_late(site: Site) -> None:
    # A new install run by hand at 14:00: the morning slot is past the catch-up
    # window, but no edition was ever made, so the first run makes it (with
    # the news up to 14:00); a second run then finds nothing due.
    first = invoke("run", "--at", "2026-01-21T14:00:00+01:00")
    assert first.exit_code == 0, first.output
    assert "ochtend@2026-01-21T07:00: done" in first.output
    assert set(site.received().values()) == {1}
    again = invoke("run", "--at", "2026-01-21T14:05:00+01:00")
    assert "no edition due" in again.output
    assert set(site.received().values()) == {1}


def test_a_slot_with_too_little_news_is_skipped_once(site: Site) -> None:
    site.editions[0]["min_briefs"] = 1000
    site.write_config()
    first = invoke("run", "--at", AMS_AT)
    assert first.exit_code == 0
    assert f"{SLOT_KEY}: skipped: edition ochtend-2026-01-21T0700: only " in first.output
    again = invoke("run", "--at", AMS_AT)
    assert f"{SLOT_KEY}: finished: already skipped" in again.output
    assert site.received() == {}


# --- failures, resumption, --force ----------------------------------------------------------


def test_a_failed_delivery_exits_non_zero_and_the_next_run_completes_it(site: Site) -> None:
    site.smtp.reject("bram@example.nl")
    failed = CliRunner().invoke(cli, ["run", "--quiet", "--at", AMS_AT])
    assert failed.exit_code == 1
    assert failed.output.startswith(f"digest: error: {SLOT_KEY}: ")
    assert failed.output.count("\n") == 1
    site.smtp.handler.reject_recipients.clear()
    again = invoke("run", "--at", "2026-01-21T07:20:00+01:00")
    assert again.exit_code == 0, again.output
    assert f"{SLOT_KEY}: done: " in again.output
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def test_a_run_that_died_half_way_is_resumed_without_resending(site: Site) -> None:
    """The state a killed run leaves: edition recorded, one mail sent, the claim still
    'delivering' with an owner process that no longer exists."""
    from digest.deliver.send import send_edition
    from digest.edition.build import build_edition
    from digest.schedule.sources import ingest_sources
    from digest.tokens import TokenSigner

    app = site.app()
    try:
        ingest_sources(app, at=AT, now=AT)
        built = build_edition(
            app.store, app.config, app.config.edition("ochtend"), app.regions, at=AT
        )
        slot = Slot("ochtend", datetime(2026, 1, 21, 7, 0), AT.replace(second=0))
        claim = claim_slot(app.store, slot, dead_owner(), now=datetime.now(UTC)).claim
        heartbeat(
            app.store, claim, datetime.now(UTC), status="delivering", edition_id=built.edition.id
        )
        send_edition(
            app.store,
            app.config,
            built.edition,
            now=datetime.now(UTC),
            signer=TokenSigner(SECRET),
            only="ans@example.nl",
        )
    finally:
        app.close()
    report = run_in_process(site)
    (done,) = report.editions
    assert done.status == "done" and done.resumed_from is not None
    assert done.resumed_from.endswith(":dead")
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def _leave_one_uncertain(site: Site) -> None:
    """The state of a run killed while the mail to ans was with the SMTP server."""
    from digest.deliver import ledger
    from digest.deliver.plan import PlanRow, plan_rows
    from digest.edition.build import build_edition
    from digest.schedule.sources import ingest_sources
    from digest.store.subscribers import get_subscriber

    app = site.app()
    try:
        ingest_sources(app, at=AT, now=AT)
        built = build_edition(
            app.store, app.config, app.config.edition("ochtend"), app.regions, at=AT
        )
        slot = Slot("ochtend", datetime(2026, 1, 21, 7, 0), AT.replace(second=0))
        owner = dead_owner()
        claim = claim_slot(app.store, slot, owner, now=datetime.now(UTC)).claim
        edition_id = built.edition.id
        heartbeat(app.store, claim, datetime.now(UTC), status="delivering", edition_id=edition_id)
        ans = get_subscriber(app.store, "ans@example.nl")
        assert ans is not None
        plan_rows(app.store, edition_id, [PlanRow(ans.id, "nl:*")])
        ledger.claim(app.store, edition_id, "nl:*", owner=owner, limit=1, now=datetime.now(UTC))
        ledger.mark_sending(app.store, edition_id, [ans.id], owner)  # then the run died
    finally:
        app.close()


def test_uncertain_mails_wait_quietly_then_are_resent_once(site: Site) -> None:
    """A killed run left one mail handed over without an answer (SMTP). The next run
    says so once and exits 0; runs while it waits stay quiet; after the wait it is
    resent once (same Message-ID) and the slot is done."""
    _leave_one_uncertain(site)
    first = CliRunner().invoke(cli, ["run", "--at", AMS_AT, "--quiet"])
    assert first.exit_code == 0, first.output
    assert first.output.count("digest: warning: ") == 1
    assert "1 mail handed over without an answer" in first.output
    assert "digest send --status ochtend" in first.output
    assert [c.status for c in _claims(site)] == ["waiting"]
    assert site.received() == {"bram@example.nl": 1, "cor@example.nl": 1}
    again = CliRunner().invoke(cli, ["run", "--at", "2026-01-21T07:20+01:00", "--quiet"])
    assert again.exit_code == 0 and again.output == ""
    status = CliRunner().invoke(cli, ["send", "ochtend", "--status"])
    assert "  uncertain: 1" in status.output and "one resend after 1h: 1" in status.output
    assert ": 3 subscribers in the ledger" in status.output  # a plural, not "subscriber(s)"
    later = datetime.now(UTC) + timedelta(hours=2)
    report = run_in_process(site, at=datetime.fromisoformat("2026-01-21T09:00+01:00"),
                            now=lambda: later)  # fmt: skip
    assert report.ok and [e.status for e in report.editions] == ["done"]
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}
    assert [c.status for c in _claims(site)] == ["done"]


def test_an_smtp_server_down_while_a_slot_waits_is_one_line_not_a_traceback(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A run that finishes a waiting slot (its one resend due) with the SMTP server
    down logged the DeliveryError as an unexpected failure, with a traceback of
    40 lines before the one-line error (a tester's pass)."""
    _leave_one_uncertain(site)
    assert CliRunner().invoke(cli, ["run", "--at", AMS_AT, "--quiet"]).exit_code == 0
    text = site.config.read_text(encoding="utf-8")
    down = text.replace(f"port = {site.smtp.port}", f"port = {free_port()}")
    site.config.write_text(down, encoding="utf-8")
    later = datetime.now(UTC) + timedelta(hours=2)
    with caplog.at_level(logging.DEBUG):
        report = run_in_process(site, at=datetime.fromisoformat("2026-01-22T07:01+01:00"),
                                now=lambda: later)  # fmt: skip
    failed = [e for e in report.editions if e.status == "failed"]  # the next day's run
    assert len(failed) >= 1, report.editions
    assert all("cannot be reached" in e.message for e in failed), report.editions
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


KILLED_MID_SEND = """
import os, signal, sys
from digest.cli import main
from digest.deliver import smtp

handed = smtp.SmtpBackend._send_one
count = [0]


def send_one(self, sender, to, data):
    count[0] += 1
    if count[0] == 2:  # systemd stops the service, or the machine shuts down
        os.kill(os.getpid(), signal.SIGTERM)
    return handed(self, sender, to, data)


smtp.SmtpBackend._send_one = send_one
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_mid_send_stops_as_ctrl_c_does_and_the_rerun_sends_the_rest_once(
    site: Site, tmp_path: Path
) -> None:
    """SIGTERM killed a send at once: the mail in flight stayed 'sending', and the
    rerun resent it (a second copy). Now it stops as Ctrl-C does (a tester's pass)."""
    script = tmp_path / "killed.py"
    script.write_text(KILLED_MID_SEND, encoding="utf-8")
    killed = subprocess.run(
        [sys.executable, str(script), "run", "--at", AMS_AT, "--quiet"],
        env=site.env, cwd=site.root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == 1, killed.stderr
    assert "digest: aborted" in killed.stderr and "Traceback" not in killed.stderr
    store = open_store(site.url)
    try:
        with store.begin() as conn:
            statuses = set(conn.execute(select(deliveries.c.status)).scalars())
    finally:
        store.close()
    assert "sending" not in statuses
    assert 1 <= sum(site.received().values()) <= 2  # the mail in flight, if it got through
    again = CliRunner().invoke(cli, ["run", "--at", AMS_AT, "--quiet"])
    assert again.exit_code == 0, again.output
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def _clear_of_the_morning(moment: datetime) -> datetime:
    """``moment``, or later that day at 14:30 Amsterdam time when it falls where
    today's 07:00 slot is still due (its 6 h misfire grace): a retry then would
    also run that slot, whatever the code, between 04:00 and 11:00 UTC."""
    local = moment.astimezone(ZoneInfo("Europe/Amsterdam"))
    if 7 <= local.hour < 14:
        return local.replace(hour=14, minute=30).astimezone(UTC)
    return moment


def test_the_service_finishes_a_waiting_slot_after_its_slot_passed(site: Site) -> None:
    from digest.schedule import service

    _leave_one_uncertain(site)
    assert CliRunner().invoke(cli, ["run", "--at", AMS_AT, "--quiet"]).exit_code == 0
    assert [c.status for c in _claims(site)] == ["waiting"]
    app, later = site.app(), _clear_of_the_morning(datetime.now(UTC) + timedelta(hours=2))
    old = (service._SERVICE.app, service._SERVICE.now)
    service._SERVICE.app, service._SERVICE.now = app, lambda: later  # nothing due: slot long past
    try:
        reports = service.retry_job()
    finally:
        service._SERVICE.app, service._SERVICE.now = old
        app.close()
    assert [e.status for r in reports for e in r.editions] == ["done"]
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def test_an_uncertain_mail_after_its_one_resend_fails_the_run_and_names_the_fix(
    site: Site,
) -> None:
    _leave_one_uncertain(site)
    store = open_store(site.url)
    try:
        with store.begin() as conn:  # as if its one automatic resend was uncertain too
            conn.execute(deliveries.update().values(resends=1))
    finally:
        store.close()
    result = CliRunner().invoke(cli, ["run", "--at", AMS_AT, "--quiet"])
    assert result.exit_code == 1
    assert "uncertain after their one resend: `digest send ochtend --at " in result.output
    assert "--retry-uncertain` resends them" in result.output
    assert [c.status for c in _claims(site)] == ["failed"]
    command = result.output.split("`digest ")[1].split("`")[0].split()
    resend = CliRunner().invoke(cli, command)
    assert resend.exit_code == 0, resend.output
    assert site.received() == {"ans@example.nl": 1, "bram@example.nl": 1, "cor@example.nl": 1}


def test_force_reruns_a_done_slot_but_never_resends(site: Site) -> None:
    invoke("run", "--at", AMS_AT)
    site.subscribe("dirk@example.nl")
    refused = invoke("run", "ochtend", "--force", "--at", "2026-01-21T09:00+01:00", input="n\n")
    assert refused.exit_code == 1
    assert f"Re-run {SLOT_KEY}" in refused.output
    forced = invoke("run", "ochtend", "--force", "--yes", "--at", "2026-01-21T09:00+01:00")
    assert forced.exit_code == 0, forced.output
    assert f"{SLOT_KEY}: done: " in forced.output
    assert site.received() == {
        "ans@example.nl": 1,
        "bram@example.nl": 1,
        "cor@example.nl": 1,
        "dirk@example.nl": 1,
    }


def test_without_a_signing_key_a_due_slot_is_not_even_claimed(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DIGEST_SECRET_KEY")
    assert main(["run", "--at", AMS_AT]) == 1
    assert capsys.readouterr().err.startswith("digest: error: DIGEST_SECRET_KEY is not set")
    assert _claims(site) == []


def test_force_needs_an_edition(site: Site) -> None:
    result = CliRunner().invoke(cli, ["run", "--force", "--yes"])
    assert result.exit_code == 2
    assert "--force needs an EDITION" in result.output


def test_a_broken_source_is_reported_and_the_edition_still_goes_out(site: Site) -> None:
    site.sources.append({"name": "kapot", "path": str(FEEDS / "not_a_feed.xml"), "kind": "feed"})
    site.sources.append(
        {"name": "zeeland", "path": str(FEEDS / "regio_zeeland.rss.xml"), "kind": "feed"}
    )
    site.write_config()
    result = CliRunner().invoke(cli, ["run", "--at", AMS_AT])
    assert result.exit_code == 1
    assert "digest: error: source 'kapot': " in result.output
    assert "source zeeland: " in result.output and ": 3 new" in result.output
    assert f"{SLOT_KEY}: done: " in result.output
    assert len(site.received()) == 3


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:00 +0000", "Mon, 01 Jan 0001 00:05:00 -0100"]
)
def test_a_feed_entry_dated_out_of_range_does_not_block_the_edition(
    site: Site, tmp_path: Path, date: str
) -> None:
    feed = tmp_path / "ver.rss.xml"
    text = (FEEDS / "regio_zeeland.rss.xml").read_text(encoding="utf-8")
    feed.write_text(text.replace("Wed, 21 Jan 2026 06:30:00 +0100", date, 1), encoding="utf-8")
    site.sources.append({"name": "ver", "path": str(feed), "kind": "feed"})
    site.write_config()
    result = CliRunner().invoke(cli, ["run", "--at", AMS_AT])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert "entry 1 has a date out of range; kept undated" in result.output
    assert [c.status for c in _claims(site)] == ["done"]
    assert len(site.received()) == 3


def test_an_unexpected_failure_in_a_source_is_its_error_and_the_claim_is_closed(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.schedule import sources

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(sources, "ingest_source", broken)
    report = run_in_process(site)
    assert report.failures[0] == (
        "source 'wire': unexpected failure (OverflowError: date value out of range)"
    )
    assert [c.status for c in _claims(site)] != ["running"]


def test_an_unexpected_failure_of_the_whole_ingest_still_closes_the_claim(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.schedule import job

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(job, "ingest_sources", broken)
    report = run_in_process(site)
    assert report.failures[0] == "ingestion stopped: RuntimeError: boom"
    assert [c.status for c in _claims(site)] != ["running"]


# --- catch-up after downtime --------------------------------------------------------------


def test_after_two_days_down_only_the_latest_slot_runs(site: Site) -> None:
    run_in_process(site, datetime(2026, 1, 19, 7, 0, 5, tzinfo=AT.tzinfo))
    report = run_in_process(site, datetime(2026, 1, 21, 7, 40, tzinfo=AT.tzinfo))
    assert [(e.slot.key, e.status) for e in report.editions] == [(SLOT_KEY, "done")]
    store = open_store(site.url)
    try:
        slots = [c.slot_key for c in list_claims(store)]
        with store.begin() as conn:
            editions_sent = set(conn.execute(select(deliveries.c.edition_id)).scalars())
    finally:
        store.close()
    assert slots == [SLOT_KEY, "ochtend@2026-01-19T07:00"]
    assert "ochtend-2026-01-20T0700" not in editions_sent


def test_catch_up_none_lets_a_missed_slot_go(
    tmp_path: Path, sqlite_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path, sqlite_url, smtp_server, schedule={"catch_up": "none"})
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.setenv("DIGEST_DATABASE_URL", site.url)
    late = run_in_process(site, datetime(2026, 1, 21, 7, 40, tzinfo=AT.tzinfo))
    assert late.due == 0 and late.editions == []
    on_time = run_in_process(site, AT)
    assert [e.status for e in on_time.editions] == ["done"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'digest.db'}"


def _claims(site: Site) -> list[Any]:
    store = open_store(site.url)
    try:
        return list_claims(store)
    finally:
        store.close()


# --- several editions a day: each story once ------------------------------------------

TWO_EDITIONS = [
    {"name": "ochtend", "title": "Ochtendeditie", "cron": "0 7 * * *", "window": "24h"},
    {"name": "avond", "title": "Avondeditie", "cron": "0 18 * * *", "window": "12h"},
]


def test_a_second_edition_never_repeats_the_first_ones_stories(site: Site) -> None:
    """The example `avond` switched on: it once sent the morning's 16 stories again."""
    site.editions = TWO_EDITIONS
    site.write_config()
    morning = run_in_process(site, AT)
    statuses = {r.slot.edition: r.status for r in morning.editions}
    assert statuses == {"ochtend": "done", "avond": "skipped"}  # yesterday's 18:00 passed over
    evening = run_in_process(site, datetime.fromisoformat("2026-01-21T18:00:30+01:00"))
    assert [(r.slot.edition, r.status) for r in evening.editions] == [("avond", "skipped")]
    assert site.received() == {
        e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")
    }


def test_a_first_run_makes_only_the_sites_newest_edition(site: Site) -> None:
    """A fresh install at 19:57 made an "Ochtendeditie 07:00" saying "Goedemorgen"."""
    site.editions = TWO_EDITIONS
    site.write_config()
    captured = datetime.fromisoformat("2026-01-21T19:40:00+01:00").timestamp()
    for snapshot in (site.root / "wire").iterdir():
        os.utime(snapshot, (captured, captured))
    report = run_in_process(site, datetime.fromisoformat("2026-01-21T19:57:00+01:00"))
    by_name = {r.slot.edition: r for r in report.editions}
    assert by_name["ochtend"].status == "skipped"
    assert "first run" in by_name["ochtend"].message
    assert by_name["avond"].status == "done"
    store = open_store(site.url)
    try:
        assert [e.id for e in list_editions(store)] == ["avond-2026-01-21T1800"]
    finally:
        store.close()
    # The next morning is an ordinary slot again, and brings nothing twice.
    run_in_process(site, datetime.fromisoformat("2026-01-22T07:00:30+01:00"))
    assert site.received() == {
        e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")
    }


def test_an_edition_mailed_for_a_later_moment_is_archived_too(site: Site) -> None:
    """`digest run --at <tomorrow 07:05>` mailed everyone, and publishing left the
    edition out of the archive because its slot was later than the real clock."""
    now = datetime.now(UTC)
    zone = ZoneInfo("Europe/Amsterdam")
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).replace(
        hour=7, minute=5, second=0, microsecond=0
    )
    # The wire was captured an hour before that slot, whatever the real clock says:
    # captured "now", an hour after midnight, its briefs fell outside the slot's window.
    captured = (tomorrow - timedelta(hours=1)).timestamp()
    for snapshot in (site.root / "wire").iterdir():
        os.utime(snapshot, (captured, captured))
    code = subprocess.run(
        [DIGEST, "run", "--at", tomorrow.isoformat()], env=site.env, capture_output=True, text=True
    )
    assert code.returncode == 0, code.stderr
    assert site.received() == {
        e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")
    }
    page = site.root / "archive" / f"{tomorrow:%Y/%m/%d}" / "ochtend" / "index.html"
    assert page.is_file(), code.stdout
    assert "Kallas" in page.read_text(encoding="utf-8")


def test_a_catch_up_makes_only_the_newest_due_edition(site: Site) -> None:
    """Back at 18:30 after missing 07:00 (grace 24h): an Ochtendeditie at 18:30 took
    the news and the Avondeditie was skipped. Now the evening edition goes out."""
    site.editions = TWO_EDITIONS
    site.schedule = {"misfire_grace": "24h"}
    site.write_config()
    run_in_process(site, datetime.fromisoformat("2026-01-20T18:00:30+01:00"))  # a first day
    captured = datetime.fromisoformat("2026-01-21T12:00:00+01:00").timestamp()
    for snapshot in (site.root / "wire").iterdir():
        os.utime(snapshot, (captured, captured))
    late = run_in_process(site, datetime.fromisoformat("2026-01-21T18:30:00+01:00"))
    by_name = {r.slot.edition: r for r in late.editions}
    assert by_name["ochtend"].status == "skipped" and "caught up" in by_name["ochtend"].message
    assert by_name["avond"].status in ("done", "skipped")
    store = open_store(site.url)
    try:
        names = [e.name for e in list_editions(store)]
    finally:
        store.close()
    assert "ochtend" not in names


def test_building_for_a_later_moment_is_a_preview_that_blocks_nothing(site: Site) -> None:
    """`digest build --at <a later moment>` recorded 15 stories, and the next real
    morning edition was skipped: its stories were held for the future slot."""
    now = datetime.now(UTC)
    for snapshot in (site.root / "wire").iterdir():
        os.utime(snapshot, (now.timestamp(), now.timestamp()))
    future = (now + timedelta(hours=6)).isoformat()
    assert invoke("ingest").exit_code == 0
    built = invoke("build", "--at", future, "--out", str(site.root / "preview"), "--json")
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["status"] == "preview"
    assert (site.root / "preview").is_dir()
    store = open_store(site.url)
    try:
        assert list_editions(store) == []
    finally:
        store.close()
    real = run_in_process(site, now + timedelta(minutes=1), force=True)
    assert [r.status for r in real.editions] == ["done"]


def test_every_mails_link_to_an_events_other_briefs_lands_on_that_entry(site: Site) -> None:
    """The mail shows an event's other briefs by their first sentence and links to
    the rest in the archive: for every segment, each such link names a brief that
    the published edition page carries (readers of one region get their own
    grouping, so the link names a brief, not an entry)."""
    store = open_store(site.url)
    try:
        import_subscribers(
            store,
            [
                ImportRow(1, "iran@example.nl", None, frozenset({"iran"})),
                ImportRow(2, "west@example.nl", None, frozenset({"groenland", "venezuela"})),
            ],
            now=CAPTURED,
        )
    finally:
        store.close()
    result = invoke("run", "--at", AMS_AT)
    assert result.exit_code == 0, result.output
    page = site.root / "archive" / "2026/01/21/ochtend/index.html"
    ids = set(re.findall(r'id="([^"]+)"', page.read_text(encoding="utf-8")))
    found: dict[str, list[str]] = {}
    for received in site.smtp.messages:
        html = received.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        links = re.findall(r'<a class="also-link"[^>]* href="([^"]+)"', html)
        found[received.rcpt_tos[0]] = links
        for link in links:
            address, _, anchor = link.partition("#")
            assert address.endswith("/archief/2026/01/21/ochtend/") and anchor in ids, link
    assert found["ans@example.nl"] and found["west@example.nl"]  # Groenland's event
    assert set(found) >= {"iran@example.nl", "west@example.nl", "ans@example.nl"}
