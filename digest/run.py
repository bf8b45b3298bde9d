"""The whole job: ingest the sources, then for each due edition claim its slot,
build and record the edition, publish the archive and deliver it.

The claim in the edition ledger (:mod:`digest.claims`) comes first: of any
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
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from digest import clock
from digest.claims import (
    DEFAULT_LEASE,
    FINISHED,
    Claim,
    ClaimOutcome,
    Status,
    claim_slot,
    finish_claim,
    get_claim,
    has_claims,
    heartbeat,
    ingest_lock,
    new_owner,
)
from digest.config import Config, EditionConfig, SourceConfig, parse_duration
from digest.errors import DigestError
from digest.slots import Slot, catch_up_grace, due_slot, latest_slot
from digest.store import Store
from digest.tokens import TokenSigner, secret_key

if TYPE_CHECKING:
    from digest.deliver.report import SendReport
    from digest.edition import Edition, RegionLike
    from digest.model import Item

log = logging.getLogger(__name__)
Now = Callable[[], datetime]
HELP_POLL = 1.0  # seconds between looks at a slot another runner is still building
HELP_WAIT = timedelta(minutes=5)  # how long a runner waits to help with a delivery


class Context(Protocol):
    """What a run needs (``digest.cli.App`` is one)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def regions(self) -> Sequence[RegionLike]: ...

    @property
    def classification(self) -> tuple[Callable[[Item], Item], str]: ...


@dataclass
class EditionRun:
    """What this run did about one slot. ``status``: done, skipped, failed (this
    run did the work); busy (another run holds the slot); finished (done or
    skipped before); helped (sent a share of another runner's delivery)."""

    slot: Slot
    status: str
    message: str
    edition_id: str | None = None
    resumed_from: str | None = None


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


@dataclass
class SourceOutcome:
    """What ingesting one configured source did."""

    name: str
    summary: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def ingest_source(
    app: Context, source: SourceConfig, *, at: datetime, now: datetime, client: httpx.Client
) -> SourceOutcome:
    """One configured source into the store; its errors are reported, never raised."""
    from digest.feeds import ingest_feed
    from digest.ingest import ingest_paths
    from digest.sources import expand_paths

    annotate, rules = app.classification
    config, store = app.config, app.store
    if source.kind == "wire" and source.path is None:
        problem = f"source {source.name!r}: kind 'wire' reads files; for a URL use kind = 'feed'"
        return SourceOutcome(source.name, "not read", [problem])
    if source.kind == "wire" and source.path is not None:
        files = ingest_paths(
            store, [config.resolve(source.path)], now=now, annotate=annotate, classified_with=rules
        )
        errors = [f"source {source.name!r}: {f.error}" for f in files.failed]
        return SourceOutcome(source.name, files.summary(), errors, files.warnings)
    where: list[Path | str] = (
        list(expand_paths([config.resolve(source.path)])) if source.path else [source.url or ""]
    )
    feeds = [
        ingest_feed(
            store, source.name, w, now=at, annotate=annotate, classified_with=rules, client=client
        )
        for w in where
    ]
    summary = "; ".join(f"{f.location}: {f.status}" for f in feeds) or "no feed files"
    errors = [f.error for f in feeds if f.error]
    return SourceOutcome(source.name, summary, errors, [w for f in feeds for w in f.warnings])


def ingest_sources(
    app: Context, *, at: datetime, now: datetime, only: str | None = None
) -> list[SourceOutcome]:
    """Every configured source (or the one named ``only``), under the ingest lock,
    so that concurrent runs and scheduler jobs never store a snapshot twice."""
    chosen = [s for s in app.config.sources if only is None or s.name == only]
    with ingest_lock(app.store), httpx.Client() as client:
        return [ingest_source(app, s, at=at, now=now, client=client) for s in chosen]


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
    grace = catch_up_grace(config.schedule.catch_up, parse_duration(config.schedule.misfire_grace))
    found: list[tuple[EditionConfig, Slot]] = []
    for ec in chosen:
        slot = None if force else due_slot(ec.name, ec.cron, config.zone, at, grace=grace)
        bootstrap = ec.name in first_run and config.schedule.catch_up == "latest"
        if slot is None and (force or bootstrap):
            slot = latest_slot(ec.name, ec.cron, config.zone, at)
        if slot is not None:
            found.append((ec, slot))
    return found


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
    report.due = len(slots)
    if slots:
        secret_key()  # delivery will need it: refuse before claiming anything
    owner = new_owner()
    won: list[tuple[EditionConfig, ClaimOutcome]] = []
    for ec, slot in slots:
        outcome = _claim(app.store, slot, owner, now=now, lease=lease, force=force)
        if outcome.won:
            won.append((ec, outcome))
        else:
            held = outcome.claim
            report.editions.append(_stand_down(app, slot, held, now, help_wait, help_poll))
    if won or not slots:  # runs that stood down leave ingestion to the winner
        report.sources = _ingest_all(app, at, now)
    for ec, outcome in won:
        report.editions.append(_complete(app, ec, outcome, at, now))
    return report


def _ingest_all(app: Context, at: datetime, now: Now) -> list[SourceOutcome]:
    """Ingest, turning a failure of the store itself into a reported failure:
    the slots we claimed still get closed (building will say what is wrong)."""
    try:
        return ingest_sources(app, at=at, now=now())
    except DigestError as exc:
        return [SourceOutcome("(all sources)", "not read", [f"ingestion stopped: {exc}"])]


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
        run = _build_publish_deliver(app, ec, slot, claim, at, now)
    except Exception as exc:  # any failure must close the claim, or it blocks the slot
        if isinstance(exc, DigestError):
            log.error("%s: %s", slot, exc)
        else:
            log.exception("%s: unexpected failure", slot)
        message = str(exc) if isinstance(exc, DigestError) else f"{type(exc).__name__}: {exc}"
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


def _build_publish_deliver(
    app: Context, ec: EditionConfig, slot: Slot, claim: Claim, at: datetime, now: Now
) -> EditionRun:
    from digest.build import build_edition, read_note
    from digest.ingest import reclassify
    from digest.publish import publish_archive

    store, config = app.store, app.config
    claim = heartbeat(store, claim, now())
    note = read_note(config, ec, None)
    reclassify(store, *app.classification)  # stories stored under older region rules
    # A late run (after downtime, or a first run) still carries the news up to
    # the moment it runs; the next edition starts where this window ends.
    result = build_edition(
        store, config, ec, app.regions, at=slot.at, window_end=at, note_markdown=note
    )
    if result.skipped is not None:
        finish_claim(store, claim, "skipped", now(), message=result.skipped)
        return EditionRun(slot, "skipped", result.skipped)
    edition = result.edition
    claim = heartbeat(store, claim, now(), status="delivering", edition_id=edition.id)
    publish_archive(store, config, out=_archive_link(config), now=now())
    claim = heartbeat(store, claim, now())
    sent = _deliver(app, edition, claim, now)
    status: Status = "done" if sent.ok else "failed"
    message = f"{edition.story_count} stories ({result.status}); {sent.summary()}"
    finish_claim(store, claim, status, now(), edition_id=edition.id, message=message)
    return EditionRun(slot, status, message, edition.id)


def _archive_link(config: Config) -> Path:
    """``[archive] dir`` made absolute *without* following symlinks: the archive
    is a link to its live generation, and ``Config.resolve`` would follow it."""
    return Path(os.path.normpath(config.base_dir / config.archive.dir))


def _deliver(app: Context, edition: Edition, claim: Claim | None, now: Now) -> SendReport:
    """Send ``edition``; holding ``claim``, beat its heart after every batch."""
    from digest.deliver.send import send_edition

    held = [claim] if claim is not None else []

    def beat(_: object) -> None:
        if held:
            held[0] = heartbeat(app.store, held[0], now())

    signer = TokenSigner(secret_key())
    return send_edition(app.store, app.config, edition, now=now(), signer=signer, progress=beat)


def _stand_down(
    app: Context, slot: Slot, held: Claim, now: Now, wait: timedelta, poll: float
) -> EditionRun:
    """Another run has the slot. On PostgreSQL, where runners split a delivery,
    wait for it to start delivering and send a share; else say who has it."""
    if held.status in FINISHED:
        return _finished(slot, held)
    since = f"{held.claimed_at:%Y-%m-%d %H:%M} UTC"
    busy = EditionRun(slot, "busy", f"held by {held.owner} ({held.status}) since {since}")
    if app.store.dialect != "postgresql":
        return busy
    return _help(app, slot, held, now, wait, poll) or busy


def _finished(slot: Slot, held: Claim) -> EditionRun:
    when = f" at {held.finished_at:%Y-%m-%d %H:%M} UTC" if held.finished_at else ""
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
        return _finished(slot, current)
    if current is None or current.status != "delivering" or not current.edition_id:
        return None
    edition = load_edition(app.store, current.edition_id)
    if edition is None:
        return None
    sent = _deliver(app, edition, None, now)
    return EditionRun(slot, "helped", f"helped {current.owner}: {sent.summary()}", edition.id)
