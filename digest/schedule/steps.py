"""The work of one claimed slot, in order: build and record, publish the archive, deliver."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.config import Config, EditionConfig
from digest.errors import plural
from digest.schedule.claims import (
    Claim,
    Status,
    finish_claim,
    heartbeat,
)
from digest.schedule.context import Context, EditionRun, Now
from digest.schedule.slots import Slot
from digest.tokens import TokenSigner, secret_key

if TYPE_CHECKING:
    from digest.deliver.report import SendReport
    from digest.model import Edition


def build_publish_deliver(
    app: Context,
    ec: EditionConfig,
    slot: Slot,
    claim: Claim,
    at: datetime,
    now: Now,
    was_waiting: bool = False,
) -> EditionRun:
    from digest.edition.build import build_edition, read_note
    from digest.ingest.load import reclassify

    store, config = app.store, app.config
    claim = heartbeat(store, claim, now())
    if ec.approval:
        from digest.schedule.approval import decided_before_build

        decided = decided_before_build(app, slot, claim, at, now)
        if decided is not None:
            return decided
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
    prefix = f"{plural(edition.story_count, 'story', 'stories')} ({result.status}); "
    if ec.approval:  # a held or unapproved edition is neither archived nor mailed
        from digest.schedule.approval import gate

        stop = gate(app, ec, slot, claim, edition, at, now)
        if stop is not None:
            return stop
        prefix += "approved; "
    return publish_and_deliver(app, slot, claim, edition, prefix, now, was_waiting)


def publish_and_deliver(
    app: Context, slot: Slot, claim: Claim, edition: Edition, prefix: str, now: Now, was: bool
) -> EditionRun:
    """Publish the archive with ``edition`` in it, then deliver it and close the claim."""
    from digest.publish import publish_archive

    store, config = app.store, app.config
    claim = heartbeat(store, claim, now(), status="delivering", edition_id=edition.id)
    publish_archive(store, config, out=archive_link(config))
    claim = heartbeat(store, claim, now())
    return finish_delivery(app, slot, claim, edition, prefix, now, was)


def finish_delivery(
    app: Context, slot: Slot, claim: Claim, edition: Edition, prefix: str, now: Now, was: bool
) -> EditionRun:
    """Deliver and close the claim: done, failed, or waiting while uncertain
    hand-overs settle (said once: ``was`` tells that an earlier run said it)."""
    sent = deliver_edition(app, edition, claim, now)
    status: Status = ("waiting" if sent.waiting else "done") if sent.ok else "failed"
    message = prefix + sent.summary()
    if sent.after.get("uncertain", 0) > sent.waiting:
        message += (
            f"; uncertain after their one resend: `digest send {edition.name} --at "
            f"{edition.slot.isoformat()} --retry-uncertain` resends them"
        )
    finish_claim(app.store, claim, status, now(), edition_id=edition.id, message=message)
    notice = None
    if status == "waiting" and not was:
        wait = app.config.delivery.resend_uncertain_after
        notice = (
            f"{slot}: {plural(sent.waiting, 'mail')} handed over without an answer; they settle by "
            f"provider events, or are resent once after {wait}; `digest send --status "
            f"{edition.name}` shows them"
        )
    return EditionRun(slot, status, message, edition.id, notice=notice)


def archive_link(config: Config) -> Path:
    """``[archive] dir`` made absolute *without* following symlinks: the archive
    is a link to its live generation, and ``Config.resolve`` would follow it."""
    return Path(os.path.normpath(config.base_dir / config.archive.dir))


def deliver_edition(app: Context, edition: Edition, claim: Claim | None, now: Now) -> SendReport:
    """Send ``edition``; holding ``claim``, beat its heart after every batch."""
    from digest.deliver.send import send_edition

    held = [claim] if claim is not None else []

    def beat(_: object) -> None:
        if held:
            held[0] = heartbeat(app.store, held[0], now())

    signer = TokenSigner(secret_key())
    return send_edition(app.store, app.config, edition, now=now(), signer=signer, progress=beat)
