"""When the Extra editie is due: the trigger, quiet hours and the daily cap.

``digest run`` and the ``digest schedule`` service both look after every
ingestion. An Extra editie has no cron time: its slot is the moment its burst
fired (:mod:`digest.edition.extra`), or the end of the quiet hours it fired in,
so every run that sees the same stored news names the same slot, and the claim
in the edition ledger lets one of them send it. A burst inside quiet hours is
deferred to their end; a burst past the day's ``daily_cap`` is dropped (its
news goes into the next regular edition, unmarked).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from digest.config import EditionConfig, parse_duration
from digest.edition.extra import is_quiet, released_at
from digest.edition.special import pending_burst, quiet_of
from digest.schedule.claims import FINISHED, list_claims
from digest.schedule.context import Context, EditionRun, Now
from digest.schedule.job import RunReport, _busy, _claim, _complete, _finished, _local_of
from digest.schedule.slots import Slot, catch_up_grace
from digest.store.history import editions_between
from digest.tokens import secret_key

log = logging.getLogger(__name__)


def extra_editions(app: Context, names: Collection[str]) -> list[EditionConfig]:
    return [ec for ec in app.config.editions if ec.kind == "extra" and ec.name in names]


def due_extra(app: Context, ec: EditionConfig, at: datetime) -> tuple[Slot | None, str]:
    """The slot of the Extra editie ``ec`` due at ``at``, or ``None`` and why not."""
    zone = app.config.zone
    burst = pending_burst(app.store, app.config, ec, app.regions, at)
    if burst is None:
        return None, "no burst"
    quiet = quiet_of(ec)
    release = released_at(burst.moment, quiet, zone)
    if at < release or is_quiet(at, quiet, zone):
        return None, f"deferred: quiet hours ({ec.quiet_hours}) until {release:%Y-%m-%d %H:%M}"
    local = release.astimezone(zone).replace(second=0, microsecond=0)
    day = local.replace(hour=0, minute=0)
    sent = editions_between(app.store, ec.name, day, day + timedelta(days=1))
    if sent >= ec.daily_cap:
        return None, f"daily cap reached ({sent} of {ec.daily_cap} on {day:%Y-%m-%d})"
    log.info("%s: fired at %s by %s", ec.name, local.isoformat(), "; ".join(burst.reasons))
    return Slot(ec.name, local.replace(tzinfo=None), local.astimezone(UTC)), ""


def run_extras(
    app: Context,
    owner: str,
    names: Collection[str],
    at: datetime,
    *,
    now: Now,
    lease: timedelta,
    report: RunReport | None = None,
) -> list[EditionRun]:
    """Fire each Extra editie of ``names`` whose burst is due at ``at``, once per slot."""
    runs: list[EditionRun] = []
    for ec in extra_editions(app, names):
        retried = _retry_extras(app, ec, owner, at, now=now, lease=lease)
        runs += retried
        slot, why = due_extra(app, ec, at)
        if slot is not None and slot.key in {r.slot.key for r in retried}:
            continue  # tried once in this run already
        if slot is None:
            log.debug("%s: not due at %s: %s", ec.name, at.isoformat(), why)
            continue
        if report is not None:
            report.due += 1
        secret_key()
        outcome = _claim(app.store, slot, owner, now=now, lease=lease, force=False)
        if outcome.won:
            runs.append(_complete(app, ec, outcome, at, now))
        else:
            held = outcome.claim
            runs.append(
                _finished(slot, held, app.config.zone)
                if held.status in FINISHED
                else _busy(slot, held, app.config.zone)
            )
    return runs


def _retry_extras(
    app: Context, ec: EditionConfig, owner: str, at: datetime, *, now: Now, lease: timedelta
) -> list[EditionRun]:
    """Resume the Extra edities of ``ec`` whose run failed (a mail server down) or died
    within the misfire grace: their stories count as carried once the edition is
    recorded, so no new burst would bring them back."""
    config = app.config
    grace = catch_up_grace(config.schedule.catch_up, parse_duration(config.schedule.misfire_grace))
    runs: list[EditionRun] = []
    for held in list_claims(app.store, ec.name):
        stale = held.status == "running" and held.is_stale(now(), lease)
        if not (held.status == "failed" or stale) or at - held.slot > grace:
            continue
        slot = Slot(ec.name, _local_of(held), held.slot)
        outcome = _claim(app.store, slot, owner, now=now, lease=lease, force=False)
        if outcome.won:
            log.info("%s: retrying after %s", slot, held.message or held.status)
            runs.append(_complete(app, ec, outcome, at, now))
    return runs
