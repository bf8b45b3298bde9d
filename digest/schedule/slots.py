"""Edition slots: which run of an edition is due at an instant.

Pure: cron expressions, zones and instants in, slots out; no clock, no store.
Fire times come from APScheduler's own ``CronTrigger``, so ``digest run``
(cron, systemd) and ``digest schedule`` agree on when an edition is due.

A slot is named by the edition and the *wall-clock* date and time the cron
expression asked for (``ochtend@2026-01-21T07:00``), which settles the two
DST traps:

- fall back (2026-10-25, 02:00-03:00 happens twice in Europe/Amsterdam): the
  trigger fires a 02:30 job at both 02:30s; both firings carry the local time
  02:30 and so the same key, and the ledger lets only the first one run. The
  slot's instant is always the first 02:30.
- spring forward (2026-03-29, 02:00-03:00 does not exist): the trigger shifts
  a 02:30 job by the gap and fires it at 03:30 CEST. That firing keeps the
  key of 02:30; the edition happens once that day, an hour late by the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from digest.config import crontab
from digest.errors import DigestError

# With catch_up = "none" a slot is still due this long after its time, so a
# run started by cron at 07:00 that reaches this code at 07:00:03 is on time.
ON_TIME = timedelta(minutes=1)
# How far ``latest_slot`` looks back, widening step by step (rare crons).
_LOOKBACK = (timedelta(days=2), timedelta(days=32), timedelta(days=367), timedelta(days=1462))


class ScheduleError(DigestError):
    """A cron expression or schedule setting cannot be used."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One due run of an edition.

    ``local`` is the naive wall-clock time the cron expression names;
    ``at`` is the aware UTC instant of the slot (the first one when the
    wall-clock time happens twice).
    """

    edition: str
    local: datetime
    at: datetime

    @property
    def key(self) -> str:
        """``ochtend@2026-01-21T07:00``: the ledger key of the slot."""
        return slot_key(self.edition, self.local)

    def __str__(self) -> str:
        return self.key


def slot_key(edition: str, local: datetime) -> str:
    return f"{edition}@{local:%Y-%m-%dT%H:%M}"


def cron_trigger(cron: str, zone: ZoneInfo, *, edition: str = "?") -> CronTrigger:
    """APScheduler's trigger for a five-field cron expression in ``zone``."""
    try:
        return CronTrigger.from_crontab(crontab(cron), timezone=zone)
    except ValueError as exc:
        raise ScheduleError(
            f"edition {edition!r}: cron {cron!r} is not valid ({exc}); "
            "fix 'cron' of this [[editions]] entry, e.g. '0 7 * * *'"
        ) from exc


def slot_of_fire_time(edition: str, fire_time: datetime) -> Slot:
    """The slot of one fire time exactly as the trigger produced it (fields in its zone)."""
    local = fire_time.replace(tzinfo=None, fold=0)
    at = fire_time.replace(fold=0).astimezone(UTC)
    return Slot(edition, local, at)


def fire_times(trigger: CronTrigger, after: datetime, until: datetime) -> Iterator[datetime]:
    """The trigger's fire times in ``(after, until]``, as the scheduler computes them.

    Compared in UTC: aware datetimes sharing a zone compare by wall clock,
    which is wrong around a DST change.
    """
    previous: datetime | None = None
    moment = after.astimezone(UTC) + timedelta(microseconds=1)
    end = until.astimezone(UTC)
    while True:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None or fire.astimezone(UTC) > end:
            return
        yield fire
        previous = moment = fire


def slots_between(
    edition: str, cron: str, zone: ZoneInfo, after: datetime, until: datetime
) -> list[Slot]:
    """The slots with a fire time in ``(after, until]``, each key once, oldest first."""
    seen: dict[str, Slot] = {}
    for fire in fire_times(cron_trigger(cron, zone, edition=edition), after, until):
        slot = slot_of_fire_time(edition, fire)
        seen.setdefault(slot.key, slot)
    return list(seen.values())


def due_slot(
    edition: str, cron: str, zone: ZoneInfo, at: datetime, *, grace: timedelta
) -> Slot | None:
    """The latest slot fired in ``(at - grace, at]``, or None: older slots are missed
    for good, and of several missed slots only the latest runs."""
    _require_aware(at)
    at = at.astimezone(UTC)  # so that ``at - grace`` is elapsed time, not wall-clock time
    found = slots_between(edition, cron, zone, at - grace, at)
    return found[-1] if found else None


def latest_slot(edition: str, cron: str, zone: ZoneInfo, at: datetime) -> Slot | None:
    """The latest slot at or before ``at`` however old (for deliberate re-runs)."""
    _require_aware(at)
    at = at.astimezone(UTC)
    for span in _LOOKBACK:
        found = slots_between(edition, cron, zone, at - span, at)
        if found:
            return found[-1]
    return None


def catch_up_grace(catch_up: str, misfire_grace: timedelta) -> timedelta:
    """How late a slot may still run: ``latest`` allows ``misfire_grace``,
    ``none`` only the few seconds a run needs to start (``ON_TIME``)."""
    if catch_up == "latest":
        return max(misfire_grace, ON_TIME)
    if catch_up == "none":
        return ON_TIME
    raise ScheduleError(f"schedule.catch_up {catch_up!r} is unknown; use 'latest' or 'none'")


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ScheduleError(f"instant {at.isoformat()} has no time zone; give an offset")
