"""The common line of the compact layout, read in one compiled match.

Past its first brief, a compact page is one line per brief: the time of the
brief above glued to the next dateline and its text
(``15 minuten geledenWASHINGTON (ANP) - Tekst.``). The line parser of
:mod:`digest.ingest.wire` reads such a line in many steps (segments, the time,
the dateline, the paragraph's checks); :func:`compact_brief` reads one with
one match and hands back what the line parser would take from it, or None for
a line it is not sure of, which the line parser then reads. It accepts only
lines for which each of the line parser's checks goes the common way, so the
result is the same (``tests/test_compact.py`` compares the two on generated,
mutated and hostile pages).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from digest.ingest.chrome import is_chrome
from digest.ingest.dateline import (
    DATELINE_PATTERN,
    UPPER,
    agency_names,
    fold_place,
    read_dateline,
)
from digest.ingest.reltime import TIME_PATTERN

#: ``Meer uit <Rubriek>``: closes the lead article and names the section.
MARKER = re.compile(r"Meer (?:nieuws )?uit (?:de rubriek )?(?P<rubric>\S.{0,40})", re.IGNORECASE)
#: A line's first characters that may open a page header (``Gepubliceerd``, ``door``):
#: the line parser splits such lines first.
HEADER_START = frozenset("GgBbAaLlUuDdRrTt")
#: What may follow a time at the start of a line for the time to be glued to it.
GLUE_START = frozenset(UPPER + "0123456789\"'“”„‘’«(")
# The time is atomic, so it is the one ``TIME_RE.match`` finds at the start of the
# line (no backtracking into a shorter time to make the dateline fit); the
# dateline is then matched where the line parser's ``match_dateline`` would.
# Only the time's extent is needed here, so its named groups (read later, by
# ``parse_time``) are made plain groups: the same matches, a lighter match object.
_BARE_TIME = re.sub(r"\(\?P<\w+>", "(?:", TIME_PATTERN)
_LINE = re.compile(rf"(?>(?P<time>(?i:{_BARE_TIME})))" + DATELINE_PATTERN, re.DOTALL)
_GROUPS = tuple(_LINE.groupindex[name] for name in ("time", "place", "agencies", "body"))
_TIME = _GROUPS[0]

#: A compact brief line read: the time that closes the item above, and the new
#: item's place, agencies and first paragraph.
Brief = tuple[str, str, tuple[str, ...], str]


def compact_brief(line: str, repeated: Collection[str]) -> Brief | None:
    """What the line parser takes from ``line`` (not empty) if it is a compact
    brief line, or None for any other line.

    ``repeated`` holds the page's repeated lines, which the line parser treats
    apart.
    """
    if line[0] in HEADER_START or (found := _LINE.match(line)) is None:
        return None
    rest = line[found.end(_TIME) :]
    if rest[0] not in GLUE_START or "geleden" in rest or "zojuist" in rest or "zonet" in rest:
        return None  # not glued, or the line parser looks for more times
    if rest[0] in "Mm" and MARKER.fullmatch(rest):
        return None
    time, place, printed, body = found.group(*_GROUPS)
    if printed is None:  # no agency: read_dateline's checks decide
        dateline = read_dateline(found)
        if dateline is None:
            return None
        place, names = dateline.place, dateline.agencies
    else:
        place, names = place if place.isascii() else fold_place(place), agency_names(printed)
    if not body or body[-1] == ")" or (repeated and body in repeated):
        return None
    return None if is_chrome(body, inside=True) else (time, place, names, body)
