"""Dutch relative and clock times of wire pages ("15 minuten geleden", "gisteren 21:05").

A page states an item's age with limited precision, so a time resolves to a
span: ``latest`` is the capture time minus the stated age (the latest moment
the item can have appeared) and ``earliest`` the earliest moment the wording
allows. An age "N <unit> geleden" is read as N ≤ age < N+1 units, at one
second resolution:

=========================  ==========================================
wording                    age span
=========================  ==========================================
``zojuist``, ``zonet``     [0 s, 60 s)
``15 minuten geleden``     [15 min, 16 min)
``1 uur geleden``          [60 min, 120 min)
``een half uur geleden``   [30 min, 60 min)
``3 dagen geleden``        [72 h, 96 h)  (days and weeks are elapsed time)
``2 maanden geleden``      [2, 3) calendar months, on the local calendar
``gisteren``               the whole previous local day
``gisteren 14:30``         exactly 14:30 yesterday, local time
``vandaag 09:12``          exactly 09:12 today, local time
``09:12``                  09:12 today, or yesterday if that is after capture
``21 januari 2026 09:15``  exactly that local time (also ``21-01-2026``)
``21 januari``             that local day (last year if it lies ahead)
=========================  ==========================================

"Local" is the zone of the capture time. Pure: no clock, no I/O. A date
outside :data:`EARLIEST` .. :data:`LATEST` (``31 december 9999``,
``1 januari 0001``) reads as no date: the item is kept undated with a warning,
and nothing downstream has to compute with a year the calendar cannot hold.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple

from babel.dates import get_day_names, get_month_names

_ONE_SECOND = timedelta(seconds=1)
#: The instants a stated time may resolve to; outside them a date is "no such date".
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_NUMBER_WORDS = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
}  # fmt: skip
# unit word -> (seconds per unit, or None for calendar months; months per unit)
_UNITS: dict[str, tuple[int | None, int]] = {
    "seconden": (1, 0), "seconde": (1, 0), "sec": (1, 0),
    "minuten": (60, 0), "minuut": (60, 0), "min": (60, 0),
    "kwartier": (900, 0), "kwartieren": (900, 0),
    "uur": (3600, 0), "uren": (3600, 0),
    "dagen": (86400, 0), "dag": (86400, 0),
    "weken": (604800, 0), "week": (604800, 0),
    "maanden": (None, 1), "maand": (None, 1),
    "jaren": (None, 12), "jaar": (None, 12),
}  # fmt: skip


def _name_index(tables: Iterable[Mapping[int, str]]) -> dict[str, int]:
    """Lower-case name (without a trailing dot) -> number, over several name tables."""
    return {name.lower().rstrip("."): number for table in tables for number, name in table.items()}


_WIDTHS: tuple[Literal["wide", "abbreviated"], ...] = ("wide", "abbreviated")
MONTHS = _name_index(get_month_names(width, locale="nl") for width in _WIDTHS) | {"sept": 9}
_WEEKDAYS = _name_index(get_day_names(width, locale="nl") for width in _WIDTHS)


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first so none shadows another."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


def _clock(prefix: str) -> str:
    return rf"(?P<{prefix}h>[01]?\d|2[0-3])[:.](?P<{prefix}m>[0-5]\d)(?!\d)(?:\s*uur)?"


_AGO = (
    r"(?:(?P<less>minder\s+dan\s+)?(?:(?P<n>\d{1,4}|"
    + _alternatives(_NUMBER_WORDS)
    + r")\s*(?P<unit>"
    + _alternatives(_UNITS)
    + r")|(?P<half>(?:een\s+)?half|anderhalf)\s+uur)\s+geleden)"
)
_JUST = r"(?P<just>zojuist|zonet)"
_DAY = r"(?:(?P<day>eergisteren|gisteren|vandaag)(?:,?\s+(?:om\s+)?" + _clock("d") + r")?)"
_DATE = (
    r"(?:(?:(?:" + _alternatives(_WEEKDAYS) + r")\.?,?\s+)?"
    r"(?:(?P<md>\d{1,2})\s+(?P<mon>" + _alternatives(MONTHS) + r")\.?(?:\s+(?P<my>\d{4}))?"
    r"|(?P<nd>\d{1,2})[-/.](?P<nm>\d{1,2})[-/.](?P<ny>\d{4})"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))"
    r"(?:(?:,\s*|\s+)(?:om\s+)?" + _clock("t") + r")?)"
)
_BARE_CLOCK = "(?:" + _clock("c") + ")"

#: One time expression; the named groups are read by :func:`resolve_time`.
TIME_PATTERN = f"(?:{_AGO}|{_JUST}|{_DAY}|{_DATE}|{_BARE_CLOCK})"
#: The relative wordings only ("... geleden", "zojuist"): safe to find mid-line.
RELATIVE_PATTERN = f"(?:{_AGO}|{_JUST})"
TIME_RE = re.compile(TIME_PATTERN, re.IGNORECASE)


class TimeSpan(NamedTuple):
    """When an item appeared: somewhere in [earliest, latest]."""

    earliest: datetime
    latest: datetime


def parse_time(text: str, captured_at: datetime) -> TimeSpan | None:
    """The span a whole time expression stands for, or None if it is not one."""
    match = TIME_RE.fullmatch(text.strip())
    return resolve_time(match, captured_at) if match else None


def plausible(moment: datetime) -> bool:
    """True for an instant between :data:`EARLIEST` and :data:`LATEST` (any zone)."""
    try:
        return EARLIEST <= moment.astimezone(UTC) <= LATEST
    except OverflowError:  # a local time at the very edge of the calendar
        return False


def resolve_time(match: re.Match[str], captured_at: datetime) -> TimeSpan | None:
    """The span of a match of :data:`TIME_PATTERN`; None for an impossible date
    or one out of range."""
    try:
        span = _resolve(match.groupdict(), captured_at)
    except (ValueError, OverflowError):
        return None
    if not (plausible(span.earliest) and plausible(span.latest)):
        return None
    return span


def _resolve(groups: dict[str, str | None], captured_at: datetime) -> TimeSpan:
    if groups["n"] or groups["half"]:
        return _ago(groups, captured_at)
    if groups["just"]:
        return _elapsed(captured_at, 0, 60)
    if groups["day"]:
        return _named_day(groups, captured_at)
    if groups["ch"]:
        return _bare_clock(int(groups["ch"] or 0), int(groups["cm"] or 0), captured_at)
    return _dated(groups, captured_at)


def _ago(groups: dict[str, str | None], captured_at: datetime) -> TimeSpan:
    half = (groups["half"] or "").lower()
    if half:
        start = 5400 if half == "anderhalf" else 1800
        return _elapsed(captured_at, start, 1800)
    raw = (groups["n"] or "").lower()
    count = _NUMBER_WORDS[raw] if raw in _NUMBER_WORDS else int(raw)
    seconds, months = _UNITS[(groups["unit"] or "").lower()]
    if groups["less"]:
        count = 0  # "minder dan een minuut geleden": [0, 1 unit)
    if seconds is None:
        return TimeSpan(
            _shift_months(captured_at, -(count + 1) * months) + _ONE_SECOND,
            _shift_months(captured_at, -count * months),
        )
    return _elapsed(captured_at, count * seconds, seconds)


def _elapsed(captured_at: datetime, start: int, width: int) -> TimeSpan:
    """Age in [start, start + width) seconds, counted in real (UTC) time."""
    utc = captured_at.astimezone(UTC)
    zone = captured_at.tzinfo
    latest = utc - timedelta(seconds=start)
    earliest = latest - timedelta(seconds=width) + _ONE_SECOND
    return TimeSpan(earliest.astimezone(zone), latest.astimezone(zone))


def _shift_months(moment: datetime, months: int) -> datetime:
    """The same local wall-clock time ``months`` calendar months away (day clamped)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _local(day: date, hour: int, minute: int, captured_at: datetime) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=captured_at.tzinfo)


def _whole_day(day: date, captured_at: datetime) -> TimeSpan:
    """A local calendar day; a day still running ends at the capture time."""
    start = _local(day, 0, 0, captured_at)
    end = _local(day + timedelta(days=1), 0, 0, captured_at) - _ONE_SECOND
    if start <= captured_at < end:
        end = captured_at
    return TimeSpan(start, end)


def _named_day(groups: dict[str, str | None], captured_at: datetime) -> TimeSpan:
    back = {"vandaag": 0, "gisteren": 1, "eergisteren": 2}[(groups["day"] or "").lower()]
    day = captured_at.date() - timedelta(days=back)
    if groups["dh"]:
        moment = _local(day, int(groups["dh"]), int(groups["dm"] or 0), captured_at)
        return TimeSpan(moment, moment)
    return _whole_day(day, captured_at)


def _bare_clock(hour: int, minute: int, captured_at: datetime) -> TimeSpan:
    moment = _local(captured_at.date(), hour, minute, captured_at)
    if moment > captured_at:
        moment = _local(captured_at.date() - timedelta(days=1), hour, minute, captured_at)
    return TimeSpan(moment, moment)


def _dated(groups: dict[str, str | None], captured_at: datetime) -> TimeSpan:
    year_given = True
    if groups["mon"]:
        month = MONTHS[groups["mon"].lower()]
        year_given = groups["my"] is not None
        day = date(int(groups["my"] or captured_at.year), month, int(groups["md"] or 0))
        if not year_given and day > captured_at.date():
            day = day.replace(year=day.year - 1)
    elif groups["nd"]:
        day = date(int(groups["ny"] or 0), int(groups["nm"] or 0), int(groups["nd"]))
    else:
        day = date(int(groups["iy"] or 0), int(groups["im"] or 0), int(groups["id"] or 0))
    if groups["th"]:
        moment = _local(day, int(groups["th"]), int(groups["tm"] or 0), captured_at)
        return TimeSpan(moment, moment)
    return _whole_day(day, captured_at)


def is_calendar_day(text: str) -> bool:
    """True for a date without a clock time ("maandag 3 november 2025"), as page headers show."""
    match = TIME_RE.fullmatch(text)
    return bool(match and (match["mon"] or match["nd"] or match["iy"]) and not match["th"])


def is_full_date(text: str) -> bool:
    """True for a date with month ("19 januari 2026 12:34", "19-01-2026"), with or without clock."""
    match = TIME_RE.fullmatch(text)
    return bool(match and (match["mon"] or match["nd"] or match["iy"]))
