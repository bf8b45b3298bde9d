"""Wire-text snapshots into items: the pure core of ingestion (no I/O, no clock).

A snapshot is the text of a news page. The parser reads it as a stream of
lines and knows three signals: a *dateline* opens an item's text, a *time*
("15 minuten geleden", "gisteren 21:05") closes the item before it, and a
``Meer uit <Rubriek>`` line closes the lead article and names the section.
That covers the layouts seen so far:

* compact: optional lead article, ``Meer uit``, then briefs whose time is
  glued to the next brief (``...tekst.\\n15 minuten geledenWASHINGTON (ANP) - ...``);
* titled: a title line before each brief, blank lines between blocks;
* list pages: a date line, an ``Editie`` line and a rubric line, then entries
  titled ``ANP <titel>`` (the label is taken off the title; it gives the
  agencies of an entry that has no dateline).

A line outside any item is a title if the next thing is a dateline (the last
such line wins, so repeated headlines collapse); otherwise it is page chrome
and dropped. Text glued to a time is always kept. An item without a dateline
takes its title from a title-like line (short, no closing full stop) before its
first sentence. Lead articles are undated by design; a brief that cannot be
dated is kept undated with a warning. Line numbers in warnings count lines
after normalising line breaks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from digest.classify.batch import collector_paused
from digest.ingest.chrome import (
    RUBRICS,
    is_chrome,
    looks_like_rubric,
    looks_like_title,
    normalise_lines,
)
from digest.ingest.compact import GLUE_START, HEADER_START, MARKER, compact_brief
from digest.ingest.dateline import UPPER, match_dateline
from digest.ingest.furniture import (
    BARE_AGENCY,
    STRIPPED_DATELINE,
    TRAILING_AGENCY,
    agency_names,
    is_byline,
    is_furniture,
    is_rubric,
    is_sidebar_head,
    looks_like_news,
    split_byline,
    strip_time_prefix,
)
from digest.ingest.reltime import (
    RELATIVE_PATTERN,
    TIME_RE,
    TimeSpan,
    is_calendar_day,
    is_full_date,
    parse_time,
)
from digest.model import Kind, ParseResult, ParseWarning, new_item

_INNER_TIME = re.compile(
    rf"(?<=[.!?\"”’)])\s*(?P<time>(?i:{RELATIVE_PATTERN}))(?=$|[{UPPER}0-9\"'“„‘«(])"
)
_LABEL = re.compile(
    r"(?P<label>(?:ANP|AFP|RTR|REUTERS|DPA|AP|EFE|BELGA|NTB|BLOOMBERG)(?:/[A-Z]+)*)"
    rf" +(?=[{UPPER}0-9\"'“‘„])"
)


def parse_snapshot(text: str, captured_at: datetime, source: str) -> ParseResult:
    """The items of one snapshot in source order, with warnings for what was odd.

    ``captured_at`` must be timezone-aware; relative times count back from it
    and clock times are local times in its zone. ``source`` names the file in
    items and warnings.
    """
    if captured_at.tzinfo is None or captured_at.utcoffset() is None:
        raise ValueError(f"captured_at must be timezone-aware, got {captured_at.isoformat()}")
    with collector_paused():
        return _parse_lines(normalise_lines(text), captured_at, source, compact=True)


def _parse_lines(
    lines: list[str], captured_at: datetime, source: str, compact: bool
) -> ParseResult:
    """``parse_snapshot`` of normalised lines; ``compact`` lets runs of compact
    brief lines through the one-match reading of :mod:`digest.ingest.compact`
    (False reads every line with the line parser, the rule that reading must equal)."""
    repeated = _repeated(lines)
    parser = _Parser(captured_at, source, repeated)
    feed, feed_time = parser.feed, parser.feed_time
    index, total = 0, len(lines)
    while index < total:
        if compact and parser.open is not None:
            index = parser.run_compact(lines, index)
            if index == total:
                break
        line, index = lines[index], index + 1
        if line:
            # Only lines starting like "Gepubliceerd ..." or "door ..." can be split.
            parts = split_byline(strip_time_prefix(line)) if line[0] in HEADER_START else (line,)
            for part in parts:
                for is_time, segment, glued in _segments(part):
                    if is_time:
                        feed_time(segment, index)
                    else:
                        feed(segment, index, glued)
    return parser.finish(total, lines)


# An Item's fields, as ``emit`` gathers them: kind, title, dateline, agencies, text,
# published_at, section, source, earliest.
_Fields = tuple[
    Kind, str | None, str | None, tuple[str, ...], str, datetime | None, str | None, str,
    datetime | None,
]  # fmt: skip


def _repeated(lines: list[str]) -> set[str]:
    """The lines (not empty) that occur more than once; most pages have none,
    which one set of the lines shows."""
    blank = lines.count("")
    if len(set(lines)) == len(lines) - blank + (blank > 0):
        return set()
    return {line for line, count in Counter(lines).items() if count > 1 and line}


def _stripped_dateline(text: str) -> bool:
    """``- De Amerikaanse president ...``: a sentence after a dash, the place cut off."""
    found = STRIPPED_DATELINE.fullmatch(text)
    return found is not None and (not looks_like_title(text) or len(text) > 120)


def _rubric_like(text: str) -> bool:
    return bool(text) and (is_rubric(text) or (len(text.split()) == 1 and looks_like_title(text)))


def _segments(line: str) -> list[tuple[bool, str, bool]]:
    """Split a line into (is_time, text, glued) parts at times glued to text."""
    parts: list[tuple[bool, str, bool]] = []
    glued = False
    lead = TIME_RE.match(line)
    if lead:
        rest = line[lead.end() :]
        if (
            not rest
            or rest[0] in GLUE_START
            or (rest[0] == " " and match_dateline(rest.lstrip()) is not None)
        ):
            parts.append((True, lead.group(), False))
            line, glued = rest.lstrip(), True
    if "geleden" in line or "zojuist" in line or "zonet" in line:
        start = 0
        for inner in _INNER_TIME.finditer(line):
            before = line[start : inner.start()].strip()
            if before:
                parts.append((False, before, glued))
            parts.append((True, inner.group("time"), False))
            start, glued = inner.end(), True
        line = line[start:].strip()
    if line:
        parts.append((False, line, glued))
    return parts


@dataclass(slots=True)
class _Draft:
    line: int
    title: str | None = None
    place: str | None = None
    agencies: tuple[str, ...] = ()
    paragraphs: list[str] = field(default_factory=list)
    lead: tuple[str, int] | None = None  # a date line above the item (byline sites)
    section: str | None = None
    ended: bool = False  # its trailing "(ANP)" was read: the next text is not its own


@dataclass(slots=True)
class _Loose:
    """A line outside any item: a title, chrome, or text glued to a time."""

    text: str
    line: int
    glued: bool


class _Parser:
    """The line-by-line state: an open item (dateline read) or loose lines."""

    def __init__(self, captured_at: datetime, source: str, repeated: set[str]) -> None:
        self.captured_at, self.source, self.repeated = captured_at, source, repeated
        # The fields of each Item, in order (see ``emit``).
        self.items: list[_Fields] = []
        self.warnings: list[ParseWarning] = []
        self.open: _Draft | None = None
        self.loose: list[_Loose] = []
        self.section: str | None = None
        self.first_marker: str | None = None
        self.header_rubric: str | None = None
        self.rubrics_seen: set[str] = set()
        self.list_page = self.expect_rubric = False
        self.spans: dict[str, tuple[TimeSpan | None, str | None]] = {}
        # Furniture of other sites: a byline opens the next item's header (its date
        # line is that item's time), a sidebar heading closes the item before it.
        self.pending: tuple[str, int] | None = None
        self.deferred = self.header = self.sidebar = False
        self.next_section: str | None = None
        self.held_at = 0  # loose lines when the held time was read

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(ParseWarning(self.source, message, line))

    def feed(self, text: str, line: int, glued: bool) -> None:
        marker = MARKER.fullmatch(text) if text[0] in "Mm" else None
        if marker:
            self.close(None, line, "marker")
            self.section = marker["rubric"].strip()
            self.first_marker = self.first_marker or self.section
            return
        if self.open is not None and self.open.ended:
            self.close(None, line, "agency")
        dateline = match_dateline(text)
        if dateline:
            self.begin(dateline.place, dateline.agencies, dateline.body, line)
        elif self.furniture(text, line):
            return
        elif text[0] == "(" and (bare := BARE_AGENCY.fullmatch(text)):
            self.begin(None, agency_names(bare["agencies"]), bare["body"], line)
        elif self.open is None and not self.sidebar and _stripped_dateline(text):
            self.begin(None, (), text.lstrip("-–— "), line)
        elif self.open is not None:
            self.add_paragraph(self.open, text)
        elif self.flush_deferred(line) and glued:  # glued to a time: content, unless chrome
            if not is_chrome(text, inside=True):
                self.loose.append(_Loose(text, line, glued))
        else:
            self.outside(text, line)

    def run_compact(self, lines: list[str], start: int) -> int:
        """Read the run of compact brief lines from ``lines[start]`` as ``feed_time``
        and ``feed`` would, and return the index of the first line after it.

        Each line closes the open item at its time and opens the next one at its
        dateline. Only in this state (an item open, nothing held, loose or pending)
        is that all the line parser does with such a line, and it leaves the same
        state behind; in any other the run is empty.
        """
        draft = self.open
        if (
            draft is None
            or draft.ended
            or self.sidebar
            or self.deferred
            or self.loose
            or self.pending is not None
            or self.next_section is not None
        ):
            return start
        items, spans, section, source = self.items, self.spans, self.section, self.source
        repeated, index, total, number = self.repeated, start, len(lines), 0
        title, place, agencies = draft.title, draft.place, draft.agencies
        text, own = "\n\n".join(draft.paragraphs), draft.section or section
        while index < total:
            line = lines[index]
            if not line:  # the line parser passes over it
                index += 1
                continue
            brief = compact_brief(line, repeated)
            if brief is None:
                break
            index += 1
            time, next_place, next_agencies, body = brief
            known = spans.get(time)  # what ``span`` gives, read at once when it warns of nothing
            resolved = (
                known[0] if known is not None and known[1] is None else self.span(time, index)
            )
            latest, earliest = (resolved.latest, resolved.earliest) if resolved else (None, None)
            items.append(
                ("brief", title, place, agencies, text, latest, own, source, earliest)
            )  # fmt: skip
            title, place, agencies, text, own, number = (
                None, next_place, next_agencies, body, section, index
            )  # fmt: skip
        if number:
            self.open = _Draft(number, None, place, agencies, [text])
            self.expect_rubric = self.header = False
        return index

    def feed_time(self, text: str, line: int) -> None:
        if self.sidebar and not self.header:
            self.loose = []  # a teaser's time
            return
        if self.pending is not None and self.open is None and len(self.loose) == self.held_at:
            return  # a second date line ("Laatste update: ..."): the first one dates the item
        self.flush_deferred(line)
        bare_page = self.open is None and not self.header and not self.loose and not self.items
        if bare_page and is_calendar_day(text):
            self.list_page = self.expect_rubric = True  # the date line of a list page
            return
        if self.open is None and self.holds_for_next(text):
            # Nothing to close: a date line above the next item (after a byline or a
            # headline); if no item follows at once, it closes the headline as before.
            self.drop_pending()
            self.pending, self.deferred = (text, line), bool(self.loose) and not self.header
            self.held_at = len(self.loose)
            return
        self.close(text, line, "time")

    def holds_for_next(self, text: str) -> bool:
        """Nothing open to close: after a byline, a headline, or as a dated line with
        nothing above it, the time belongs to the item that follows."""
        if not all(not x.glued and looks_like_title(x.text) for x in self.loose):
            return False
        return self.header or bool(self.loose) or is_full_date(text)

    def flush_deferred(self, line: int) -> bool:
        """A time held for the next item, which did not follow: it closes what is loose."""
        if self.deferred and self.pending is not None:
            (time, at), self.pending, self.deferred = self.pending, None, False
            self.close(time, at, "time")
        return True

    def drop_pending(self) -> None:
        if self.pending is not None:
            self.warn(self.pending[1], f"time {self.pending[0]!r} follows no item; ignored")
            self.pending = None

    def furniture(self, text: str, line: int) -> bool:
        """Bylines, sidebar headings, photo ids, captions, menus: never in an item."""
        if is_byline(text):
            self.byline(line)
        elif is_sidebar_head(text):
            self.flush_deferred(line)
            if self.open is not None or (self.loose and self.loose[0].glued):
                self.close(None, line, "sidebar")
            self.loose, self.sidebar, self.header = [], True, False
        elif is_furniture(text):
            pass
        elif self.open is None and is_rubric(text) and self.items:
            self.next_section = text
        else:
            return False
        return True

    def byline(self, line: int) -> None:
        """``door anp``: the header of the next item; a rubric line just above it is
        that item's section, and the item before it (if open) is complete."""
        rubric: str | None = None
        if self.open is not None:
            last = self.open.paragraphs[-1] if len(self.open.paragraphs) > 1 else ""
            if _rubric_like(last):
                rubric = self.open.paragraphs.pop()
            self.close(None, line, "byline")
        elif self.loose and _rubric_like(self.loose[-1].text):
            rubric = self.loose.pop().text
        self.deferred = False  # a date line just above a byline is the next item's
        if not self.sidebar:
            self.skip(self.loose)
        self.loose = [x for x in self.loose if looks_like_title(x.text)][-1:]
        self.next_section = rubric or self.next_section
        self.header, self.sidebar = True, False

    def outside(self, text: str, line: int) -> None:
        if text.lower().startswith("editie"):
            self.list_page = self.expect_rubric = True
            return
        if self.expect_rubric:
            self.expect_rubric = False
            if looks_like_rubric(text) and looks_like_title(text):
                self.header_rubric = text
                return
        if is_chrome(text, inside=False):
            return
        if not self.items and text.lower() in RUBRICS:
            self.rubrics_seen.add(text)
            return
        trailing = TRAILING_AGENCY.fullmatch(text) if text[-1] == ")" and not self.sidebar else None
        if trailing and (trailing["body"] or self.loose):
            self.item_from_loose(text, line)  # text under a headline, "(ANP)" last
            return
        self.loose.append(_Loose(text, line, False))

    def item_from_loose(self, text: str, line: int) -> None:
        self.deferred = False
        loose, self.loose = self.loose, []
        start = next((i for i, x in enumerate(loose) if not looks_like_title(x.text)), len(loose))
        title = loose[start - 1].text if start else None
        self.skip(loose[: max(start - 1, 0)])
        self.open = _Draft(line, title, None, (), [], *self.take_header())
        self.open.line = loose[start].line if start < len(loose) else line
        for paragraph in [*(x.text for x in loose[start:]), text]:
            self.add_paragraph(self.open, paragraph)

    def add_paragraph(self, draft: _Draft, text: str) -> None:
        if is_chrome(text, inside=True) or text == draft.title:
            return
        if self.repeated and text in self.repeated and looks_like_title(text):
            return  # a headline the page repeats elsewhere, not part of this item
        trailing = TRAILING_AGENCY.fullmatch(text) if text[-1] == ")" else None
        if trailing:  # "... tekst. (ANP)": the item's agency, and its end
            text, draft.ended = trailing["body"], True
            draft.agencies = draft.agencies or agency_names(trailing["agencies"])
        if text:
            draft.paragraphs.append(text)

    def begin(self, place: str | None, agencies: tuple[str, ...], text: str, line: int) -> None:
        self.deferred = self.sidebar = False  # a held time now dates this item
        self.expect_rubric = False  # a list page's rubric line comes before its items
        if self.open is not None:
            title = self.steal_title(self.open)
            self.close(None, line, "dateline")
        else:
            title = self.title_from_loose() if self.loose else None
        if title is not None:
            title, _label = self.split_label(title)  # the dateline's agencies are the printed ones
        self.open = _Draft(line, title, place, agencies, [], *self.take_header())
        if text:
            self.add_paragraph(self.open, text)

    def take_header(self) -> tuple[tuple[str, int] | None, str | None]:
        """The held date line and rubric of the item now starting (used once)."""
        lead, section = self.pending, self.next_section
        self.pending, self.next_section, self.header, self.deferred = None, None, False, False
        return lead, section

    def steal_title(self, draft: _Draft) -> str | None:
        """An untimed item ending in a title-like line: that line titles the next item."""
        if len(draft.paragraphs) > 1 and looks_like_title(draft.paragraphs[-1]):
            return draft.paragraphs.pop()
        return None

    def title_from_loose(self) -> str | None:
        loose, self.loose = self.loose, []
        title = loose.pop().text if loose and looks_like_title(loose[-1].text) else None
        if loose and loose[0].glued:
            self.loose = loose
            self.close(None, loose[0].line, "dateline")
        else:
            self.skip(loose)
        return title

    def split_label(self, title: str | None) -> tuple[str | None, tuple[str, ...]]:
        label = _LABEL.match(title) if title else None
        if title is None or label is None:
            return title, ()
        self.list_page = True
        return title[label.end() :], tuple(label["label"].split("/"))

    def skip(self, loose: list[_Loose], at_end: bool = False) -> None:
        """Drop loose lines; a sentence between two items may be lost news, so say so.
        (Above the first item and below the last one it is page header and footer.)"""
        if not self.items or at_end:
            return
        for dropped in loose:
            if not looks_like_title(dropped.text):
                self.warn(dropped.line, f"skipped text outside any item: {dropped.text[:60]!r}")

    def close(self, time: str | None, line: int, by: str) -> None:
        """End the item in progress (open, or made of loose lines) at a time/marker/end."""
        if self.open is not None:
            opened, self.open = self.open, None
            self.emit(opened, time, line, by)
        elif self.loose:
            draft = self.draft_from_loose(by)
            if draft is not None:
                self.emit(draft, time, line, by)
        elif time is not None:
            self.warn(line, f"time {time!r} follows no item; ignored")

    def draft_from_loose(self, by: str) -> _Draft | None:
        """An item without dateline: optional title line, then its text."""
        loose, self.loose = self.loose, []
        start = next((i for i, x in enumerate(loose) if not looks_like_title(x.text)), None)
        if start is None and by != "time" and not loose[0].glued:
            return None  # only headline-like lines and nothing that dates them: chrome
        if by in {"end", "sidebar", "byline"} and not loose[0].glued and self.pending is None:
            self.skip(loose, at_end=by == "end")
            return None
        start = len(loose) - 1 if start is None else start
        title, label = self.split_label(loose[start - 1].text if start else None)
        body = [x.text for x in loose[start:]]
        return _Draft(loose[start].line, title, None, label, body, *self.take_header())

    def emit(self, draft: _Draft, time: str | None, line: int, by: str) -> None:
        if time is None and draft.lead is not None:
            time, line = draft.lead
        span = self.span(time, line) if time is not None else None
        kind: Kind = "article" if time is None and self.is_lead(draft, by) else "brief"
        if kind == "brief" and time is None:
            self.warn(draft.line, "item has no time (truncated page?); kept undated")
        text = "\n\n".join(draft.paragraphs)
        latest, earliest = (span.latest, span.earliest) if span else (None, None)
        # Built as Items in ``finish``, once the page's fallback section is known.
        self.items.append(
            (kind, draft.title, draft.place, draft.agencies, text, latest,
             draft.section or self.section, self.source, earliest)
        )  # fmt: skip

    def is_lead(self, draft: _Draft, by: str) -> bool:
        """The undated lead article: ended by ``Meer uit``, or a titled first item."""
        if self.section is not None or self.list_page:
            return False
        return by == "marker" or (draft.title is not None and not self.items and by != "time")

    def span(self, time: str, line: int) -> TimeSpan | None:
        if time not in self.spans:
            self.spans[time] = self.resolve(time)
        span, problem = self.spans[time]
        if problem:
            self.warn(line, problem)
        return span

    def resolve(self, time: str) -> tuple[TimeSpan | None, str | None]:
        span = parse_time(time, self.captured_at)
        if span is None:
            return None, f"cannot read the time {time!r} (no such date); kept undated"
        if span.latest <= self.captured_at:
            return span, None
        clamped = TimeSpan(min(span.earliest, self.captured_at), self.captured_at)
        return clamped, f"time {time!r} lies after the capture time; using the capture time"

    def finish(self, last_line: int, lines: list[str]) -> ParseResult:
        self.flush_deferred(last_line)
        self.close(None, last_line, "end")
        self.drop_pending()
        if not self.items and looks_like_news(lines):
            self.warn(
                None,
                "looks like a news page but no item was found (no dateline, time or "
                "agency mark recognised); check that it is the page's text, or report the layout",
            )
        fallback = self.header_rubric or self.first_marker
        if fallback is None and len(self.rubrics_seen) == 1:
            fallback = next(iter(self.rubrics_seen))
        # The fields are ``new_item``'s arguments in order; an item without a
        # section of its own takes the page's.
        items = tuple(
            new_item(*fields)
            if fields[6] or fallback is None
            else new_item(*fields[:6], fallback, *fields[7:])
            for fields in self.items
        )
        return ParseResult(items, tuple(self.warnings))
