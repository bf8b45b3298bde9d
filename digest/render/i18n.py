"""Translations and Babel formatting for one locale at a time.

Interface text goes through gettext catalogs in ``digest/locale`` (compiled
``.mo`` files are committed); dates, times and numbers through Babel with an
explicit locale and zone on every call, never the process locale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from babel.support import Translations

from digest.errors import DigestError
from digest.model import LOCALES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


class LocaleError(DigestError):
    """A locale was asked for that digest has no catalog for."""


def check_locale(locale: str) -> str:
    """``locale`` if digest has a catalog for it; else LocaleError naming the choices."""
    if locale not in LOCALES:
        raise LocaleError(f"locale {locale!r} is not supported; use one of: {', '.join(LOCALES)}")
    return locale


@cache
def translations(locale: str) -> Translations:
    """The compiled catalog for ``locale``; LocaleError if it is missing."""
    check_locale(locale)
    mo = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.is_file():
        raise LocaleError(f"{mo}: compiled catalog missing; run 'make i18n'")
    with mo.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def _local(value: datetime, zone: tzinfo | None) -> datetime:
    return value.astimezone(zone) if zone is not None else value


KEPT = 65536  # formatted values a Formatter keeps; beyond that it formats each time

# The templates write a day as Dutch orders it ("dinsdag 20 januari 2026"); a
# locale whose own full date orders it otherwise gets the same parts in its
# order, so that a page never mixes "Tuesday, January 20, 2026" with
# "Tuesday 20 January" (English: the order of Babel's full date). A test
# holds every pattern the templates and the code use to this table.
_DAY_PATTERNS = {
    "en": {
        "EEEE d MMMM y": "EEEE, MMMM d, y",
        "EEEE d MMMM": "EEEE, MMMM d",
        "EEE d MMM": "EEE, MMM d",
        "d MMMM yyyy": "MMMM d, yyyy",
        "d MMMM": "MMMM d",
        "d MMM": "MMM d",
    },
}


class Formatter:
    """Babel formatting bound to one locale; each method takes the zone to show."""

    def __init__(self, locale: str) -> None:
        self.locale = Locale.parse(check_locale(locale))
        self.gettext = translations(locale).gettext
        self._cache: dict[tuple[Any, ...], str] = {}
        self._patterns = _DAY_PATTERNS.get(self.locale.language, {})

    def _cached(self, key: tuple[Any, ...], make: Callable[[], str]) -> str:
        found = self._cache.get(key)
        if found is None:
            found = make()
            if len(self._cache) < KEPT:  # bounded: a long build's memory stays flat
                self._cache[key] = found
        return found

    def date(self, value: datetime, fmt: str = "full", zone: tzinfo | None = None) -> str:
        """``woensdag 21 januari 2026`` (full), or a Babel pattern/width (a Dutch
        day pattern in the locale's own order, see ``_DAY_PATTERNS``)."""
        local = _local(value, zone)
        fmt = self._patterns.get(fmt, fmt)
        return self._cached(
            ("d", local.date(), fmt), lambda: format_date(local, fmt, locale=self.locale)
        )

    def time(self, value: datetime, fmt: str = "short", zone: tzinfo | None = None) -> str:
        """``07:00`` (nl) or ``7:00 AM`` (en)."""
        local = _local(value, zone)
        # The short width shows only hours and minutes: one entry per clock
        # time, not per moment (an archive build formats hundreds of thousands).
        stamp = (local.hour, local.minute) if fmt == "short" else local.isoformat()
        return self._cached(("t", stamp, fmt), lambda: format_time(local, fmt, locale=self.locale))

    def date_time(self, value: datetime, fmt: str = "medium", zone: tzinfo | None = None) -> str:
        local = _local(value, zone)
        key = ("dt", local.isoformat(), fmt)
        return self._cached(key, lambda: format_datetime(local, fmt, locale=self.locale))

    def number(self, value: float) -> str:
        """``3.700`` (nl) or ``3,700`` (en)."""
        if type(value) is not int:  # bool, float, Decimal: formatted each time
            return format_decimal(value, locale=self.locale)
        # Babel takes ~40 µs a call and an edition's render counts its sections
        # and briefs again and again: each whole number formatted once.
        return self._cached(("n", value), lambda: format_decimal(value, locale=self.locale))
