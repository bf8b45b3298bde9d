"""The edge where time enters: the current instant and user-given instants.

The core never calls ``now()``; commands read the clock here and pass it in.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 instant; one without offset is taken in ``zone``."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not an ISO 8601 time; write e.g. 2026-01-21T07:00+01:00"
        ) from exc
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """``value`` made aware: a zone-less time is a wall-clock time in ``zone``."""
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def moment(value: datetime, zone: tzinfo) -> str:
    """``2026-12-01 07:00 CET``: an instant for operators, in ``zone``, to the minute."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
