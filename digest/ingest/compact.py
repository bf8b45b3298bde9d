"""The common line of the compact layout, read in one compiled match.

Past its first brief, a compact page is one line per brief: the time of the
brief above glued to the next dateline and its text
(``15 minuten geledenWASHINGTON (ANP) - Tekst.``). The line parser of
:mod:`digest.ingest.wire` reads such a line in many steps (segments, the time,
the dateline, the paragraph's checks); :func:`compact_lines` recognises a run
of them with one match each and hands back what the line parser would take
from them. A line it is not sure of ends the run, and the line parser reads
it: the run holds only lines for which each of the line parser's checks goes
the common way, so the result is the same (``tests/test_compact.py`` compares
the two on generated and hostile pages).
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

#: One brief of a run: its line number, the time that closes the item above,
#: and the new item's place, agencies and first paragraph.
Record = tuple[int, str, str, tuple[str, ...], str]


def compact_lines(
    lines: list[str], start: int, repeated: Collection[str]
) -> tuple[int, list[Record]]:
    """The run of compact brief lines from ``lines[start]``, and where it ends.

    Empty lines inside the run are passed over (the line parser ignores them);
    ``repeated`` holds the page's repeated lines, which the line parser treats
    apart. The index returned is that of the first line not in the run.
    """
    records: list[Record] = []
    match_line = _LINE.match
    for index in range(start, len(lines)):
        line = lines[index]
        if not line:
            continue
        if line[0] in HEADER_START or (found := match_line(line)) is None:
            return index, records
        glued = found.end(_TIME)
        rest = line[glued:]
        if rest[0] not in GLUE_START or "geleden" in rest or "zojuist" in rest or "zonet" in rest:
            return index, records  # not glued, or the line parser looks for more times
        if rest[0] in "Mm" and MARKER.fullmatch(rest):
            return index, records
        time, place, printed, body = found.group(*_GROUPS)
        if printed is None:  # no agency: read_dateline's checks decide
            dateline = read_dateline(found)
            if dateline is None:
                return index, records
            place, names = dateline.place, dateline.agencies
        else:
            place, names = place if place.isascii() else fold_place(place), agency_names(printed)
        if (
            not body
            or body[-1] == ")"
            or (repeated and body in repeated)
            or is_chrome(body, inside=True)
        ):
            return index, records
        records.append((index + 1, time, place, names, body))
    return len(lines), records
