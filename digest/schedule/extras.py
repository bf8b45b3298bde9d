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

from digest.config import EditionConfig
from digest.edition.extra import is_quiet, released_at
from digest.edition.special import pending_burst, quiet_of
from digest.schedule.context import Context
from digest.schedule.slots import Slot
from digest.store.history import editions_between

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
