"""The message catalogs: complete, compiled, and used per call (never the process locale)."""

from __future__ import annotations

import locale as process_locale
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from digest.config import LOCALES, PROJECT_ROOT
from digest.render.i18n import LOCALE_DIR, Formatter, LocaleError, translations

SLOT = datetime(2026, 1, 21, 7, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def extracted_ids() -> set[str]:
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_interface_string(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    missing = extracted_ids() - translated
    assert not missing, f"untranslated in {locale}; run the i18n make target: {sorted(missing)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_mo_matches_its_po(locale: str) -> None:
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)

    def pairs(catalog: Catalog) -> dict[object, object]:
        return {_key(m.id): _key(m.string) for m in catalog if m.id}

    assert pairs(compiled) == pairs(source), "recompile the catalogs (make i18n)"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_formatting_ignores_the_process_locale() -> None:
    before = process_locale.setlocale(process_locale.LC_ALL)
    try:
        try:
            process_locale.setlocale(process_locale.LC_ALL, "C.UTF-8")
        except process_locale.Error:
            process_locale.setlocale(process_locale.LC_ALL, "C")
        nl = Formatter("nl")
        assert nl.date(SLOT) == "woensdag 21 januari 2026"
        assert nl.number(3700) == "3.700"
        assert Formatter("en").number(3700) == "3,700"
    finally:
        process_locale.setlocale(process_locale.LC_ALL, before)


def test_translations_are_real_catalogs() -> None:
    assert translations("nl").gettext("View online") == "Bekijk online"
    assert translations("nl").ngettext("%(num)s brief", "%(num)s briefs", 2) == "%(num)s berichten"
    assert translations("en").gettext("View online") == "View online"
    with pytest.raises(LocaleError, match="'de'"):
        translations("de")


@given(st.one_of(st.integers(-(10**12), 10**12), st.floats(-1e9, 1e9)))
def test_numbers_kept_per_formatter_are_babels_own(value: float) -> None:
    for locale in ("nl", "en"):
        fmt = Formatter(locale)
        expected = format_decimal(value, locale=locale)
        assert fmt.number(value) == expected
        assert fmt.number(value) == expected  # kept, for a whole number


@pytest.mark.parametrize(
    ("locale", "day", "full_day"),
    [
        ("nl", "woensdag 2 december", "woensdag 2 december 2026"),
        ("en", "Wednesday, December 2", "Wednesday, December 2, 2026"),
    ],
)
def test_a_day_is_written_in_the_order_of_the_locales_full_date(
    locale: str, day: str, full_day: str
) -> None:
    """Found by a tester: English mail said "Thursday, December 3, 2026" in its
    header and "since Wednesday 2 December" in its summary."""
    fmt = Formatter(locale)
    moment = datetime(2026, 12, 2, 14, 15, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert fmt.date(moment, "EEEE d MMMM") == day
    assert fmt.date(moment, "EEEE d MMMM y") == full_day == fmt.date(moment, "full")


def _day_patterns() -> set[str]:
    """Every date pattern the templates and the code hand to the formatter."""
    from digest.render import environment

    found = {environment.DAY_MONTH, environment.SHORT_DAY}
    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        found |= set(re.findall(r'format_date\("([^"]+)"\)', template.read_text("utf-8")))
    for module in (PROJECT_ROOT / "digest").rglob("*.py"):
        found |= set(re.findall(r'fmt\.date\([^()]*?, "([^"]+)"', module.read_text("utf-8")))
    return found - {"full", "long", "medium", "short"}


def test_every_day_pattern_in_use_has_the_english_order() -> None:
    """The day before the month is Dutch order; English writes the month first
    wherever a pattern is used (the tester's "Mon 19 Jan" beside "Tuesday, January 20")."""
    patterns = _day_patterns()
    assert {"EEE d MMM", "d MMMM", "EEEE d MMMM y"} <= patterns  # the scan finds them
    moment = datetime(2026, 1, 19, 5, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    for pattern in patterns:
        english = Formatter("en").date(moment, pattern)
        assert english.index("Jan") < english.index("19"), (pattern, english)
        dutch = Formatter("nl").date(moment, pattern)
        assert dutch.index("19") < dutch.index("jan"), (pattern, dutch)
