"""Datelines of wire items: ``PLACE (AGENCY[/AGENCY...]) - `` opening a paragraph.

PLACE is upper case and may hold spaces, hyphens, dots, apostrophes,
diacritics and slashes (``MEXICO-STAD``, ``ST. ANTON AM ARLBERG``,
``'S-HERTOGENBOSCH``, ``TEHERAN/JERUZALEM``, ``GENÈVE``). The separator is a
hyphen, en dash or em dash. Regional items may have no agency
(``VLISSINGEN - ...``); to keep headlines such as ``PSV - Ajax wint`` out, a
dateline without agency needs a place of at least three letters and, after
the dash, a sentence (closing punctuation) of at least 20 characters or any
text over 120 characters.

The place is returned as printed, except that typographic apostrophes and
hyphens are folded to ASCII (``’S-HERTOGENBOSCH`` → ``'S-HERTOGENBOSCH``) so
that one place has one spelling. Agencies are upper-cased; known agencies may be printed in any case
(``TEHERAN/MADRID (afp/belga) - ``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

#: Upper-case letters (Latin, Greek, Cyrillic), for regex character classes.
UPPER = "".join(
    char for char in map(chr, [*range(0x41, 0x250), *range(0x370, 0x530)]) if char.isupper()
)
_APOSTROPHES = "'’‘`´ʼ"
_HYPHENS = "-‐‑"
_DASHES = "-‐‑–—‒―−"
_WORD = (
    rf"(?:[{_APOSTROPHES}][sStT](?=[{_HYPHENS} ])"  # 's-, 't (lower case in old names)
    rf"|[{_APOSTROPHES}]?[{UPPER}][{UPPER}{_APOSTROPHES}.]*)"
)
_PLACE = rf"{_WORD}(?:(?: ?/ ?|[{_HYPHENS}]| ){_WORD})*"
#: Agencies that sites print in lower case too (``(afp/belga)``, ``door anp``);
#: any other agency must start with a capital.
KNOWN_AGENCIES = (
    "anp|afp|belga|reuters|rtr|dpa|ap|efe|ntb|bloomberg|novum|epa|ansa|tass|xinhua|"
    "kyodo|yonhap|upi|ritzau|tt|apa|sda|pap|ctk|lusa|ria|rtl|nos"
)
_AGENCY = rf"(?:[A-Z][A-Za-z0-9.]*|(?i:{KNOWN_AGENCIES})(?![A-Za-z]))"
_AGENCIES = rf"{_AGENCY}(?:\s*[/,+&]\s*{_AGENCY})*"

#: A dateline at the start of a (normalised) line; ``body`` is what follows it.
DATELINE_PATTERN = (
    rf"(?P<place>{_PLACE})(?:\s*\(\s*(?P<agencies>{_AGENCIES})\s*\)\s*|\s+)"
    rf"[{_DASHES}](?P<gap>\s*)(?P<body>.*)"
)
DATELINE_RE = re.compile(DATELINE_PATTERN, re.DOTALL)
_FOLD = str.maketrans({char: "'" for char in _APOSTROPHES} | {"‐": "-", "‑": "-"})
_AGENCY_SPLIT = re.compile(r"\s*[/,+&]\s*")
_MIN_PLACE_LETTERS = 3
_MIN_BODY_WITHOUT_AGENCY = 20
_LONG_BODY = 120  # a truncated regional brief has no full stop yet


class Dateline(NamedTuple):
    """A parsed dateline and the text after it."""

    place: str
    agencies: tuple[str, ...]
    body: str


def match_dateline(line: str) -> Dateline | None:
    """The dateline opening ``line`` (already normalised), or None."""
    match = DATELINE_RE.match(line)
    return None if match is None else read_dateline(match)


def read_dateline(match: re.Match[str]) -> Dateline | None:
    """The dateline a match of :data:`DATELINE_PATTERN` stands for (its groups
    ``place``, ``agencies``, ``gap`` and ``body``), or None if it is not one."""
    place, agencies, gap, body = match.group("place", "agencies", "gap", "body")
    if agencies is None:
        if not (gap and _plausible_without_agency(place, body)):
            return None
        names: tuple[str, ...] = ()
    else:
        names = agency_names(agencies)
    return Dateline(place if place.isascii() else fold_place(place), names, body)


def fold_place(place: str) -> str:
    """The place as one spelling: typographic apostrophes and hyphens made ASCII."""
    return place.translate(_FOLD)


@lru_cache(maxsize=512)
def agency_names(printed: str) -> tuple[str, ...]:
    """``"ANP/afp"`` → ``("ANP", "AFP")``; pages repeat a handful of combinations."""
    return tuple(_AGENCY_SPLIT.split(printed.upper()))


def _plausible_without_agency(place: str, body: str) -> bool:
    """A place of three letters or more, then a sentence rather than the rest of a headline."""
    if sum(char.isalpha() for char in place) < _MIN_PLACE_LETTERS:
        return False
    sentence = body.rstrip("\"'”’)").endswith((".", "!", "?", ":"))
    return len(body) >= _MIN_BODY_WITHOUT_AGENCY and (sentence or len(body) > _LONG_BODY)
