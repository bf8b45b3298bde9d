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
from dataclasses import dataclass, field, replace
from datetime import datetime

from digest.ingest.chrome import (
    RUBRICS,
    is_chrome,
    looks_like_rubric,
    looks_like_title,
    normalise_lines,
)
from digest.ingest.dateline import UPPER, Dateline, match_dateline
from digest.ingest.reltime import RELATIVE_PATTERN, TIME_RE, TimeSpan, is_calendar_day, parse_time
from digest.model import Item, Kind, ParseResult, ParseWarning

_GLUE_START = frozenset(UPPER + "0123456789\"'“”„‘’«(")
_INNER_TIME = re.compile(
    rf"(?<=[.!?\"”’)])\s*(?P<time>(?i:{RELATIVE_PATTERN}))(?=$|[{UPPER}0-9\"'“„‘«(])"
)
_MARKER = re.compile(r"Meer (?:nieuws )?uit (?:de rubriek )?(?P<rubric>\S.{0,40})", re.IGNORECASE)
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
    lines = normalise_lines(text)
    repeated = {line for line, count in Counter(lines).items() if count > 1 and line}
    parser = _Parser(captured_at, source, repeated)
    for number, line in enumerate(lines, start=1):
        if line:
            for is_time, segment, glued in _segments(line):
                if is_time:
                    parser.feed_time(segment, number)
                else:
                    parser.feed(segment, number, glued)
    return parser.finish(len(lines))


def _segments(line: str) -> list[tuple[bool, str, bool]]:
    """Split a line into (is_time, text, glued) parts at times glued to text."""
    parts: list[tuple[bool, str, bool]] = []
    glued = False
    lead = TIME_RE.match(line)
    if lead:
        rest = line[lead.end() :]
        if (
            not rest
            or rest[0] in _GLUE_START
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
        self.items: list[Item] = []
        self.warnings: list[ParseWarning] = []
        self.open: _Draft | None = None
        self.loose: list[_Loose] = []
        self.section: str | None = None
        self.first_marker: str | None = None
        self.header_rubric: str | None = None
        self.rubrics_seen: set[str] = set()
        self.list_page = self.expect_rubric = False
        self.spans: dict[str, tuple[TimeSpan | None, str | None]] = {}

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(ParseWarning(self.source, message, line))

    def feed(self, text: str, line: int, glued: bool) -> None:
        marker = _MARKER.fullmatch(text) if text[0] in "Mm" else None
        if marker:
            self.close(None, line, "marker")
            self.section = marker["rubric"].strip()
            self.first_marker = self.first_marker or self.section
            return
        dateline = match_dateline(text)
        if dateline:
            self.begin(dateline, line)
        elif self.open is not None:
            self.add_paragraph(self.open, text)
        elif glued:  # glued to a time: content, unless unmistakably chrome
            if not is_chrome(text, inside=True):
                self.loose.append(_Loose(text, line, glued))
        else:
            self.outside(text, line)

    def feed_time(self, text: str, line: int) -> None:
        if self.open is None and not self.loose and not self.items and is_calendar_day(text):
            self.list_page = self.expect_rubric = True  # the date line of a list page
            return
        self.close(text, line, "time")

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
        self.loose.append(_Loose(text, line, False))

    def add_paragraph(self, draft: _Draft, text: str) -> None:
        if is_chrome(text, inside=True) or text == draft.title:
            return
        if text in self.repeated and looks_like_title(text):
            return  # a headline the page repeats elsewhere, not part of this item
        draft.paragraphs.append(text)

    def begin(self, dateline: Dateline, line: int) -> None:
        if self.open is not None:
            title = self.steal_title(self.open)
            self.close(None, line, "dateline")
        else:
            title = self.title_from_loose() if self.loose else None
        if title is not None:
            title, _label = self.split_label(title)  # the dateline's agencies are the printed ones
        body = [dateline.body] if dateline.body else []
        self.open = _Draft(line, title, dateline.place, dateline.agencies, body)

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
        if by == "end" and not loose[0].glued:
            self.skip(loose, at_end=True)
            return None
        start = len(loose) - 1 if start is None else start
        title, label = self.split_label(loose[start - 1].text if start else None)
        body = [x.text for x in loose[start:]]
        return _Draft(loose[start].line, title, None, label, body)

    def emit(self, draft: _Draft, time: str | None, line: int, by: str) -> None:
        span = self.span(time, line) if time is not None else None
        kind: Kind = "article" if time is None and self.is_lead(draft, by) else "brief"
        if kind == "brief" and time is None:
            self.warn(draft.line, "item has no time (truncated page?); kept undated")
        text = "\n\n".join(draft.paragraphs)
        latest, earliest = (span.latest, span.earliest) if span else (None, None)
        self.items.append(
            Item(
                kind,
                draft.title,
                draft.place,
                draft.agencies,
                text,
                latest,
                self.section,
                self.source,
                earliest,
            )
        )

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

    def finish(self, last_line: int) -> ParseResult:
        self.close(None, last_line, "end")
        fallback = self.header_rubric or self.first_marker
        if fallback is None and len(self.rubrics_seen) == 1:
            fallback = next(iter(self.rubrics_seen))
        items = [
            item if item.section or fallback is None else replace(item, section=fallback)
            for item in self.items
        ]
        return ParseResult(tuple(items), tuple(self.warnings))
