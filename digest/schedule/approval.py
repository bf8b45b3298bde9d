"""Editions that wait for an editor (``[[editions]] approval = true``).

A run that builds such an edition records it, asks for approval (a
``pending`` row with a deadline ``approval_timeout`` after the build) and
closes its slot's claim as ``approval``: nothing is archived or mailed. Every
later run (and ``digest editions approve``) looks at the slots in
``approval``: an approved edition is published and delivered under the
slot's claim, exactly once like any slot (the claim and the delivery ledger
see to that); one still pending or held stays so until its deadline; past
the deadline without approval, or cancelled, the slot is closed ``skipped``
with the reason in the log and the edition discarded so that its news goes
to the next edition. An approval never makes an edition go out after its
deadline unless the editor approved it before the deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from digest import clock
from digest.config import EditionConfig, parse_duration
from digest.errors import plural
from digest.model import Edition
from digest.schedule.claims import Claim, claim_slot, finish_claim, list_claims
from digest.schedule.context import Context, EditionRun, Now, failure_message
from digest.schedule.slots import Slot
from digest.store.approvals import (
    OPEN,
    Approval,
    approval_of_slot,
    decide,
    get_approval,
    request_approval,
)

log = logging.getLogger(__name__)


def decided_before_build(
    app: Context, slot: Slot, claim: Claim, at: datetime, now: Now
) -> EditionRun | None:
    """A slot whose edition was cancelled or expired is not built again (that
    would record its news a second time, unsent): the claim is closed skipped."""
    approval = approval_of_slot(app.store, slot.key)
    if approval is None or approval.state in OPEN or approval.state == "approved":
        return None
    return _hold_back(app, slot, claim, approval, at, now)


def gate(
    app: Context,
    ec: EditionConfig,
    slot: Slot,
    claim: Claim,
    edition: Edition,
    at: datetime,
    now: Now,
) -> EditionRun | None:
    """None when ``edition`` is approved (go on); else what the run did instead."""
    deadline = at + parse_duration(ec.approval_timeout)
    approval = request_approval(app.store, edition, slot.key, now=at, deadline=deadline)
    return _hold_back(app, slot, claim, approval, at, now)


def _hold_back(
    app: Context, slot: Slot, claim: Claim, approval: Approval, at: datetime, now: Now
) -> EditionRun | None:
    if approval.state == "approved":
        return None
    zone = app.config.zone
    if approval.state in OPEN and at >= approval.deadline:
        why = f"not approved by {clock.moment(approval.deadline, zone)}"
        approval = decide(app.store, approval, "expired", now=at, by="digest run", note=why)
    if approval.state in ("cancelled", "expired"):
        reason = approval.note or approval.state
        what = "approval time ran out" if approval.state == "expired" else "cancelled by editor"
        message = f"{what}: {reason}; not sent, not archived; the next edition carries its news"
        log.warning("%s: %s", slot, message)
        finish_claim(app.store, claim, "skipped", now(), message=message)
        return EditionRun(slot, "skipped", message)
    until = clock.moment(approval.deadline, zone)
    message = (
        f"waiting for approval ({approval.state}) until {until}; "
        f"`digest editions approve {approval.edition_id}` sends it"
    )
    finish_claim(
        app.store, claim, "approval", now(), edition_id=approval.edition_id, message=message
    )
    return EditionRun(slot, "approval", message, approval.edition_id)


def settle_approvals(
    app: Context,
    owner: str,
    names: Collection[str],
    *,
    at: datetime,
    now: Now,
    lease: timedelta,
    handled: Collection[str] = (),
) -> list[EditionRun]:
    """Look again at every slot of ``names`` waiting for approval: send the
    approved ones, skip those past their deadline, leave the others waiting."""
    runs: list[EditionRun] = []
    for held in list_claims(app.store, status="approval"):
        if held.slot_key in handled or held.edition_name not in names or not held.edition_id:
            continue
        slot = Slot(held.edition_name, _local_of(held), held.slot)
        outcome = claim_slot(app.store, slot, owner, now=now(), lease=lease)
        if not outcome.won:  # another run has it and will do the same
            continue
        try:
            runs.append(_settle_one(app, slot, outcome.claim, held.edition_id, at, now))
        except Exception as exc:  # close the claim, as for any slot's work
            message = failure_message(slot, exc)
            finish_claim(app.store, outcome.claim, "failed", now(), message=message)
            runs.append(EditionRun(slot, "failed", message, held.edition_id))
    return runs


def _settle_one(
    app: Context, slot: Slot, claim: Claim, edition_id: str, at: datetime, now: Now
) -> EditionRun:
    from digest.schedule.steps import publish_and_deliver
    from digest.store.editions import load_edition

    approval = get_approval(app.store, edition_id)
    edition = load_edition(app.store, edition_id)
    if approval is None or (edition is None and approval.state == "approved"):
        message = f"edition {edition_id} is no longer recorded; nothing to send"
        finish_claim(app.store, claim, "skipped", now(), message=message)
        return EditionRun(slot, "skipped", message)
    stop = _hold_back(app, slot, claim, approval, at, now)
    if stop is not None or edition is None:
        return stop or EditionRun(slot, "skipped", "discarded")
    prefix = f"{plural(edition.story_count, 'story', 'stories')}; approved; "
    return publish_and_deliver(app, slot, claim, edition, prefix, now, False)


def _local_of(claim: Claim) -> datetime:
    return datetime.fromisoformat(claim.slot_key.partition("@")[2])
