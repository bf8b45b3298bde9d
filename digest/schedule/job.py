"""The whole job: ingest the sources, then for each due edition claim its slot,
build and record the edition, publish the archive and deliver it.

The claim in the edition ledger (:mod:`digest.schedule.claims`) comes first: of any
number of runs for one slot (cron and a service, several hosts, a scheduler
firing twice in the DST fall-back hour) one does the work and the others say
who has it. Every step after the claim is idempotent (a recorded edition is
returned as recorded, the archive is rewritten atomically, the delivery ledger
never sends a mail twice), so a run that takes over a dead run's claim simply
does all steps again and completes what was left.

``at`` decides which slots are due and is the capture time of feeds; ``now``
(the real clock unless a test passes a fake one) stamps claims and sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from digest import clock
from digest.config import Config, EditionConfig, parse_duration
from digest.errors import DigestError
from digest.schedule.approval import settle_approvals
from digest.schedule.claims import (
    DEFAULT_LEASE,
    FINISHED,
    Claim,
    ClaimOutcome,
    claim_slot,
    finish_claim,
    get_claim,
    has_claims,
    list_claims,
    new_owner,
)
from digest.schedule.context import Context, EditionRun, Now, failure_message
from digest.schedule.slots import Slot, catch_up_grace, due_slot, latest_slot
from digest.schedule.sources import SourceOutcome, ingest_sources
from digest.schedule.steps import build_publish_deliver, deliver_edition, finish_delivery
from digest.store import Store
from digest.tokens import secret_key

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
HELP_POLL = 1.0  # seconds between looks at a slot another runner is still building
HELP_WAIT = timedelta(minutes=5)  # how long a runner waits to help with a delivery


@dataclass
class RunReport:
    """The outcome of one ``run_job``."""

    at: datetime
    sources: list[SourceOutcome] = field(default_factory=list)
    editions: list[EditionRun] = field(default_factory=list)
    due: int = 0

    @property
    def failures(self) -> list[str]:
        sources = [e for s in self.sources for e in s.errors]
        return sources + [f"{r.slot}: {r.message}" for r in self.editions if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures


def due_slots(
    config: Config,
    edition: str | None,
    at: datetime,
    *,
    force: bool = False,
    first_run: Collection[str] = (),
) -> list[tuple[EditionConfig, Slot]]:
    """The slots to run at ``at``, of the named edition or of all. ``force``
    takes each latest slot however old, instead of the catch-up window; so do
    the editions named in ``first_run`` (never run before) when missed slots
    are caught up at all, so that a new install makes its first edition on
    its first run."""
    chosen = [config.edition(edition)] if edition else list(config.editions)
    chosen = [ec for ec in chosen if ec.kind != "extra"]  # no cron: fired by the news
    grace = catch_up_grace(config.schedule.catch_up, parse_duration(config.schedule.misfire_grace))
    found: list[tuple[EditionConfig, Slot]] = []
    for ec in chosen:
        slot = None if force else due_slot(ec.name, ec.cron, config.zone, at, grace=grace)
        # A new weekly overview starts with its next slot, not with last week's.
        bootstrap = ec.name in first_run and config.schedule.catch_up == "latest" and ec.on_timeline
        if slot is None and (force or bootstrap):
            slot = latest_slot(ec.name, ec.cron, config.zone, at)
        if slot is not None:
            found.append((ec, slot))
    return found


def newest_due_slots(
    config: Config,
    slots: list[tuple[EditionConfig, Slot]],
    first_run: Collection[str],
    at: datetime,
) -> tuple[list[tuple[EditionConfig, Slot]], list[tuple[EditionConfig, Slot]]]:
    """``(kept, passed over)``: one run makes the newest due slot only. Of several
    due at once (a catch-up after downtime: 07:00 and 18:00 both missed), an older
    one would go out at the wrong moment and take the news from the newer one,
    so it is passed over; the newer edition carries its news. An edition that
    never ran makes its first edition only if its latest slot is the site's
    newest (no "Ochtendeditie 07:00" on an evening install, or for an edition
    added to a running site); it starts with its next slot instead."""
    if not slots:
        return [], []
    timeline = set(config.timeline_names)  # a weekly slot neither passes over nor is passed
    kept_off = [(ec, slot) for ec, slot in slots if ec.name not in timeline]
    slots = [(ec, slot) for ec, slot in slots if ec.name in timeline]
    if not slots:
        return kept_off, []
    newest_any = _newest_slot(config, at) if first_run else None
    newest_due = max(slot.at for _, slot in slots)
    kept: list[tuple[EditionConfig, Slot]] = []
    passed: list[tuple[EditionConfig, Slot]] = []
    for ec, slot in slots:
        new_here = ec.name in first_run and newest_any is not None and slot.at < newest_any
        (passed if slot.at < newest_due or new_here else kept).append((ec, slot))
    return kept + kept_off, passed


def _newest_slot(config: Config, at: datetime) -> datetime | None:
    """The latest slot time of any configured edition at or before ``at``."""
    on_timeline = [ec for ec in config.editions if ec.on_timeline]
    latest = [latest_slot(ec.name, ec.cron, config.zone, at) for ec in on_timeline]
    return max((s.at for s in latest if s is not None), default=None)


def _pass_over(
    app: Context,
    ec: EditionConfig,
    slot: Slot,
    owner: str,
    now: Now,
    lease: timedelta,
    kept: list[tuple[EditionConfig, Slot]],
    first_run: Collection[str],
) -> EditionRun:
    """Close a first run's older slot as skipped, so that later runs do not make it."""
    outcome = _claim(app.store, slot, owner, now=now, lease=lease, force=False)
    if not outcome.won:
        held, zone = outcome.claim, app.config.zone
        return _finished(slot, held, zone) if held.status in FINISHED else _busy(slot, held, zone)
    instead = ", ".join(str(s) for _, s in kept) or "a later edition"
    if ec.name in first_run:
        message = f"first run: {ec.name} starts with its next slot; {instead} carries the news"
    else:
        message = f"caught up late: a newer slot is due; {instead} carries the news"
    finish_claim(app.store, outcome.claim, "skipped", now(), message=message)
    return EditionRun(slot, "skipped", message)


def run_job(
    app: Context,
    edition: str | None,
    at: datetime,
    *,
    force: bool = False,
    now: Now = clock.now,
    lease: timedelta = DEFAULT_LEASE,
    help_poll: float = HELP_POLL,
    help_wait: timedelta = HELP_WAIT,
) -> RunReport:
    """Claim each due slot, ingest, then build, publish and deliver what we claimed.

    Feed items count as first seen at ``at``: read after a slot's time, they
    go into the next edition (never into none, as a back-dated capture could
    when the slot's edition is already recorded).
    """
    report = RunReport(at)
    names = [edition] if edition else [ec.name for ec in app.config.editions]
    first_run = {name for name in names if not has_claims(app.store, name)}
    slots = due_slots(app.config, edition, at, force=force, first_run=first_run)
    passed: list[tuple[EditionConfig, Slot]] = []
    if edition is None and not force:
        slots, passed = newest_due_slots(app.config, slots, first_run, at)
    report.due = len(slots)
    if slots:
        secret_key()  # delivery will need it: refuse before claiming anything
    owner = new_owner()
    for ec, slot in passed:
        report.editions.append(_pass_over(app, ec, slot, owner, now, lease, slots, first_run))
    won: list[tuple[EditionConfig, ClaimOutcome]] = []
    running = False  # another run is at work on a slot (and ingests for it)
    for ec, slot in slots:
        outcome = _claim(app.store, slot, owner, now=now, lease=lease, force=force)
        if outcome.won:
            won.append((ec, outcome))
        else:
            held = outcome.claim
            running = running or held.status not in FINISHED
            report.editions.append(_stand_down(app, slot, held, now, help_wait, help_poll))
    # Runs that stood down leave ingestion to the winner. With an Extra editie, a slot
    # done before is no reason not to read the news: an hourly run must see a burst.
    extras = any(ec.kind == "extra" and ec.name in names for ec in app.config.editions)
    if won or not slots or (extras and not running):
        report.sources = _ingest_all(app, at, now)
    handled = {slot.key for _, slot in slots}
    # Before new editions: one that timed out is discarded first, so the next carries its news.
    report.editions += settle_approvals(
        app, owner, names, at=at, now=now, lease=lease, handled=handled
    )
    for ec, outcome in won:
        report.editions.append(_complete(app, ec, outcome, at, now))
    if not force:  # after the regular editions: what they carry is no burst any more
        from digest.schedule.extras import run_extras

        report.editions += run_extras(app, owner, names, at, now=now, lease=lease, report=report)
    report.editions += _settle_waiting(app, owner, handled, names, now=now, lease=lease)
    return report


def _settle_waiting(
    app: Context, owner: str, handled: set[str], names: list[str], *, now: Now, lease: timedelta
) -> list[EditionRun]:
    """Finish the deliveries of earlier slots still waiting for uncertain hand-overs
    to settle (provider events, or their one resend after the wait)."""
    from digest.deliver.ledger import owner_alive
    from digest.store.editions import load_edition

    runs: list[EditionRun] = []
    for held in list_claims(app.store, status="waiting"):
        if held.slot_key in handled or held.edition_name not in names or not held.edition_id:
            continue
        slot = Slot(held.edition_name, _local_of(held), held.slot)
        outcome = claim_slot(app.store, slot, owner, now=now(), lease=lease, alive=owner_alive)
        edition = load_edition(app.store, held.edition_id) if outcome.won else None
        if edition is None:
            continue
        try:
            runs.append(finish_delivery(app, slot, outcome.claim, edition, "", now, True))
        except Exception as exc:  # close the claim, as for any slot's work
            message = failure_message(slot, exc)
            _close_failed(app.store, outcome.claim, now, message)
            runs.append(EditionRun(slot, "failed", message, held.edition_id))
    return runs


def _ingest_all(app: Context, at: datetime, now: Now) -> list[SourceOutcome]:
    """Ingest, turning a failure of the store itself into a reported failure:
    the slots we claimed still get closed (building will say what is wrong)."""
    try:
        return ingest_sources(app, at=at, now=now())
    except DigestError as exc:
        return [SourceOutcome("(all sources)", "not read", [f"ingestion stopped: {exc}"])]
    except Exception as exc:  # a bug must not leave our claims running
        log.exception("ingestion stopped by an unexpected failure")
        reason = f"ingestion stopped: {type(exc).__name__}: {exc}"
        return [SourceOutcome("(all sources)", "not read", [reason])]


def _claim(
    store: Store, slot: Slot, owner: str, *, now: Now, lease: timedelta, force: bool
) -> ClaimOutcome:
    from digest.deliver.ledger import owner_alive

    return claim_slot(store, slot, owner, now=now(), lease=lease, force=force, alive=owner_alive)


def _complete(
    app: Context, ec: EditionConfig, outcome: ClaimOutcome, at: datetime, now: Now
) -> EditionRun:
    """Do (or finish) the slot's work under our claim; close the claim either way."""
    claim = outcome.claim
    slot = Slot(ec.name, _local_of(claim), claim.slot)
    resumed = outcome.previous.owner if outcome.previous else None
    if resumed:
        log.info("%s: resuming the run of %s", slot, resumed)
    try:
        was_waiting = outcome.previous is not None and outcome.previous.status == "waiting"
        run = build_publish_deliver(app, ec, slot, claim, at, now, was_waiting)
    except Exception as exc:  # any failure must close the claim, or it blocks the slot
        message = failure_message(slot, exc)  # the report carries it to `run` and the service
        _close_failed(app.store, claim, now, message)
        return EditionRun(slot, "failed", message, claim.edition_id, resumed)
    run.resumed_from = resumed
    return run


def _local_of(claim: Claim) -> datetime:
    return datetime.fromisoformat(claim.slot_key.partition("@")[2])


def _close_failed(store: Store, claim: Claim, now: Now, message: str) -> None:
    try:
        finish_claim(store, claim, "failed", now(), message=message)
    except DigestError as exc:  # we lost the claim meanwhile: its new owner closes it
        log.warning("%s: %s", claim.slot_key, exc)


def _stand_down(
    app: Context, slot: Slot, held: Claim, now: Now, wait: timedelta, poll: float
) -> EditionRun:
    """Another run has the slot. On PostgreSQL, where runners split a delivery,
    wait for it to start delivering and send a share; else say who has it."""
    zone = app.config.zone
    if held.status in FINISHED:
        return _finished(slot, held, zone)
    busy = _busy(slot, held, zone)
    if app.store.dialect != "postgresql":
        return busy
    return _help(app, slot, held, now, wait, poll) or busy


def _busy(slot: Slot, held: Claim, zone: ZoneInfo) -> EditionRun:
    since = clock.moment(held.claimed_at, zone)
    return EditionRun(slot, "busy", f"held by {held.owner} ({held.status}) since {since}")


def _finished(slot: Slot, held: Claim, zone: ZoneInfo) -> EditionRun:
    """The slot was done (or failed) by another run; its time in the site's zone."""
    when = f" at {clock.moment(held.finished_at, zone)}" if held.finished_at else ""
    return EditionRun(slot, "finished", f"already {held.status}{when}", held.edition_id)


def _help(
    app: Context, slot: Slot, held: Claim, now: Now, wait: timedelta, poll: float
) -> EditionRun | None:
    from digest.store.editions import load_edition

    deadline = now() + wait
    current: Claim | None = held
    while current is not None and current.status == "running" and now() < deadline:
        time.sleep(poll)
        current = get_claim(app.store, slot.key)
    if current is not None and current.status in FINISHED:
        return _finished(slot, current, app.config.zone)
    if current is None or current.status != "delivering" or not current.edition_id:
        return None
    edition = load_edition(app.store, current.edition_id)
    if edition is None:
        return None
    sent = deliver_edition(app, edition, None, now)
    return EditionRun(slot, "helped", f"helped {current.owner}: {sent.summary()}", edition.id)
