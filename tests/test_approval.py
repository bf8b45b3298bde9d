"""Editions that wait for an editor, through the command line: not sent or
archived before approval, sent once after it, skipped after the timeout;
cancel and hold; `digest send` refuses what is not approved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest

from digest.cli import main
from digest.schedule.claims import get_claim
from digest.store import open_store
from digest.store.approvals import get_approval
from digest.store.editions import load_edition
from tests.test_run import AMS_AT, SLOT_KEY, Site, site

__all__ = ["site"]  # the fixture, from test_run

EDITION_ID = "ochtend-2026-01-21T0700"


@pytest.fixture
def approval_site(site: Site) -> Site:
    site.editions = [
        {
            "name": "ochtend",
            "title": "Ochtendeditie",
            "cron": "0 7 * * *",
            "approval": True,
            "approval_timeout": "2h",
        }
    ]
    site.write_config()
    return site


def archived(site: Site) -> bool:
    return (site.root / "archive" / "2026" / "01" / "21" / "ochtend" / "index.html").is_file()


@dataclass
class Answer:
    exit_code: int
    output: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Answer]:
    """The command line as a user meets it: errors as one line and an exit status."""

    def run(*args: str) -> Answer:
        code = main(list(args))
        said = capsys.readouterr()
        return Answer(code, said.out + said.err)

    return run


def claim_status(site: Site) -> str | None:
    store = open_store(site.url)
    try:
        found = get_claim(store, SLOT_KEY)
        return found.status if found else None
    finally:
        store.close()


def test_an_edition_waits_for_approval_then_goes_out_once(
    approval_site: Site, cli: Callable[..., Answer]
) -> None:
    site = approval_site
    ran = cli("run", "--at", AMS_AT)
    assert ran.exit_code == 0, ran.output
    assert f"{SLOT_KEY}: approval: waiting for approval (pending)" in ran.output
    assert site.received() == {} and not archived(site)
    listed = cli("editions", "list")
    assert f"{EDITION_ID}  pending" in listed.output
    shown = cli("editions", "show", "ochtend")
    assert shown.exit_code == 0 and "Groenland" in shown.output
    refused = cli("send", "ochtend", "--at", AMS_AT)
    assert refused.exit_code == 1 and "is pending, not approved" in refused.output
    again = cli("run", "--at", "2026-01-21T07:30:00+01:00")  # a later run: still waiting
    assert again.exit_code == 0 and site.received() == {} and not archived(site)
    approved = cli(
        "editions", "approve", "ochtend", "--note", "gecheckt", "--at", "2026-01-21T08:00:00+01:00"
    )
    assert approved.exit_code == 0, approved.output
    assert "approved" in approved.output and "gecheckt" in approved.output
    assert site.received() == {
        e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")
    }
    assert archived(site) and claim_status(site) == "done"
    # Nothing runs twice: neither a later run, nor a second approval.
    later = cli("run", "--at", "2026-01-21T08:30:00+01:00")
    assert later.exit_code == 0
    twice = cli("editions", "approve", "ochtend", "--at", "2026-01-21T08:31:00+01:00")
    assert twice.exit_code == 1 and "no edition of 'ochtend' waits for approval" in twice.output
    assert site.received() == {
        e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")
    }


def test_a_held_edition_is_skipped_after_the_timeout_and_never_sent_late(
    approval_site: Site, cli: Callable[..., Answer], caplog: pytest.LogCaptureFixture
) -> None:
    site = approval_site
    assert cli("run", "--at", AMS_AT).exit_code == 0
    held = cli(
        "editions",
        "hold",
        EDITION_ID,
        "--note",
        "wacht op bevestiging",
        "--at",
        "2026-01-21T07:10:00+01:00",
    )
    assert held.exit_code == 0 and "held" in held.output
    waiting = cli("run", "--at", "2026-01-21T08:00:00+01:00")
    assert "waiting for approval (held)" in waiting.output and site.received() == {}
    expired = cli("run", "--at", "2026-01-21T09:05:00+01:00")  # deadline 09:00:30
    assert expired.exit_code == 0
    assert f"{SLOT_KEY}: skipped: approval time ran out: not approved by" in expired.output
    assert "approval time ran out" in caplog.text  # the logged reason
    late = cli("editions", "approve", EDITION_ID, "--at", "2026-01-21T09:10:00+01:00")
    assert late.exit_code == 1 and "the time for approval ran out" in late.output
    assert site.received() == {} and not archived(site)
    store = open_store(site.url)
    try:
        approval = get_approval(store, EDITION_ID)
        assert approval is not None and approval.state == "expired"
        assert load_edition(store, EDITION_ID) is None  # discarded: the next edition has its news
    finally:
        store.close()
    assert claim_status(site) == "skipped"
    after = cli("run", "--at", "2026-01-21T09:30:00+01:00")
    assert after.exit_code == 0 and site.received() == {}


def test_a_cancelled_edition_is_never_sent_and_its_news_goes_to_the_next(
    approval_site: Site, cli: Callable[..., Answer]
) -> None:
    site = approval_site
    assert cli("run", "--at", AMS_AT).exit_code == 0
    cancelled = cli(
        "editions", "cancel", "ochtend", "--note", "fout", "--at", "2026-01-21T07:05:00+01:00"
    )
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    run = cli("run", "--at", "2026-01-21T07:20:00+01:00")
    assert f"{SLOT_KEY}: skipped: cancelled by editor: fout" in run.output
    assert site.received() == {} and not archived(site)
    site.editions.append({"name": "avond", "title": "Avondeditie", "cron": "0 18 * * *"})
    site.write_config()
    nxt = cli("run", "--at", "2026-01-21T18:00:30+01:00")
    assert "avond@2026-01-21T18:00: done:" in nxt.output  # with the cancelled edition's news
    assert len(site.received()) == 3
    store = open_store(site.url)
    try:
        evening = load_edition(store, "avond-2026-01-21T1800")
        assert evening is not None and "groenland" in [s.region_id for s in evening.sections]
    finally:
        store.close()
    shown = cli("editions", "show", "ochtend", "--json")
    assert '"state": "cancelled"' in shown.output and '"edition": null' in shown.output


def test_an_unknown_edition_is_a_usage_error(
    approval_site: Site, cli: Callable[..., Answer]
) -> None:
    answer = cli("editions", "approve", "middag")
    assert answer.exit_code == 2 and "no edition 'middag'" in answer.output


def test_editions_without_approval_go_out_as_before(site: Site, cli: Callable[..., Answer]) -> None:
    ran = cli("run", "--at", AMS_AT)
    assert ran.exit_code == 0 and f"{SLOT_KEY}: done:" in ran.output
    assert len(site.received()) == 3


def test_the_service_sends_an_edition_soon_after_it_is_approved(
    approval_site: Site, cli: Callable[..., Answer]
) -> None:
    from digest.schedule import service

    site = approval_site
    assert cli("run", "--at", AMS_AT).exit_code == 0

    def tick(at: str) -> list[str]:
        app, moment = site.app(), datetime.fromisoformat(at)
        old = (service._SERVICE.app, service._SERVICE.now)
        service._SERVICE.app, service._SERVICE.now = app, lambda: moment
        try:
            return [e.status for r in service.retry_job() for e in r.editions]
        finally:
            service._SERVICE.app, service._SERVICE.now = old
            app.close()

    assert tick("2026-01-21T07:10:00+01:00") == ["approval"] and site.received() == {}
    approved = cli(
        "editions", "approve", "ochtend", "--no-send", "--at", "2026-01-21T07:12:00+01:00"
    )
    assert approved.exit_code == 0 and site.received() == {}
    assert tick("2026-01-21T07:15:00+01:00") == ["done"]
    assert site.received() == {
        e: 1 for e in ("ans@example.nl", "bram@example.nl", "cor@example.nl")
    }
    assert tick("2026-01-21T07:20:00+01:00") == []
    assert len(site.received()) == 3 and sum(site.received().values()) == 3
