"""RSS 2.0 and Atom feeds as a source: files or URLs in, stories in the store.

``parse_feed`` is pure (bytes in, items out): feedparser reads the feed, the
HTML of each entry is sanitised with nh3 and reduced to text, and a wire
dateline at the start of the text (``NUUK (ANP/AFP) - ...``) becomes the
item's dateline and agencies, as for wire snapshots. The edges fetch a feed
(:mod:`digest.ingest.fetch`: a conditional GET with a timeout) and store its
items (``ingest_feed``); bytes stored before are not parsed again. Every
failure is a SourceError naming the feed, reported per source by the caller.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nh3

from digest.errors import SourceError
from digest.ingest import fetch
from digest.ingest.dateline import match_dateline
from digest.ingest.fetch import FETCH_TIMEOUT, Fetched, fetch_feed, load_feed_state, save_feed_state
from digest.ingest.load import Annotate, store_parsed
from digest.ingest.reltime import plausible
from digest.ingest.sources import html_to_text, path_name, read_regular_file
from digest.model import Item, ParseResult, ParseWarning
from digest.store import Store
from digest.store.stories import IngestCounts, SnapshotMeta, snapshot_known

if TYPE_CHECKING:
    import httpx

    from digest.ingest.pages import ReadSource

# Structure worth keeping on the way to text; everything else is unwrapped,
# and script/style/etc. are dropped with their content.
_KEEP_TAGS = {"p", "div", "br", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4"}
_DROP_CONTENT = {"script", "style", "iframe", "noscript", "template", "object", "svg"}
# Caps applied before sanitising: the sanitiser's time grows with the square of
# the nesting depth (an 880 KB entry of nested divs took 40 s), and no real
# entry comes near either limit.
MAX_ENTRY_CHARS = 200_000
MAX_DEPTH = 48
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
_VOID = {"br", "hr", "img", "wbr", "input", "meta", "link", "source", "area", "col", "embed",
         "param", "track", "base"}  # fmt: skip


@dataclass
class FeedReport:
    """What reading one feed (file or URL) did."""

    source: str
    location: str
    counts: IngestCounts = field(default_factory=IngestCounts)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    not_modified: bool = False

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        if self.not_modified:
            return "not modified"
        if self.counts.skipped_snapshot:
            return "known"
        return f"{self.counts.new} new, {self.counts.known} known, {self.counts.updated} updated"


def capped_html(html: str) -> str:
    """``html`` cut to :data:`MAX_ENTRY_CHARS`, without the tags that would nest
    deeper than :data:`MAX_DEPTH` (their text stays); one linear pass."""
    html = html[:MAX_ENTRY_CHARS]
    parts: list[str] = []
    depth = last = 0
    for tag in _TAG.finditer(html):
        closing, name, selfclosing = tag.group(1), tag.group(2).lower(), tag.group(3)
        if closing:
            keep = depth > 0
            depth -= keep
        elif selfclosing or name in _VOID:
            keep = True
        else:
            keep = depth < MAX_DEPTH
            depth += keep
        if not keep:
            parts.append(html[last : tag.start()])
            last = tag.end()
    parts.append(html[last:])
    return "".join(parts)


def html_text(html: str) -> str:
    """Sanitised text of an HTML fragment: paragraphs joined by a blank line."""
    safe = nh3.clean(
        capped_html(html), tags=_KEEP_TAGS, clean_content_tags=_DROP_CONTENT, attributes={}
    )
    return "\n\n".join(html_to_text(safe).splitlines())


def _detail_text(detail: Any, fallback: str) -> str:
    value = (detail or {}).get("value", fallback) or ""
    kind = (detail or {}).get("type", "text/html")
    return html_text(value) if "html" in kind else " ".join(value[:MAX_ENTRY_CHARS].split())


def _entry_body(entry: Any) -> str:
    contents = entry.get("content") or []
    if contents:
        return _detail_text(contents[0], "")
    return _detail_text(entry.get("summary_detail"), entry.get("summary", ""))


def _entry_time(entry: Any) -> datetime | None:
    """The entry's date; None without one, or when it is out of range (year 9999, 0001)."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return moment if plausible(moment) else None


def _dated_entry(entry: Any) -> bool:
    return bool(entry.get("published_parsed") or entry.get("updated_parsed"))


def entry_item(entry: Any, source: str) -> Item | None:
    """One feed entry as an item; ``None`` when it has no text."""
    body = _entry_body(entry)
    if not body:
        return None
    title = _detail_text(entry.get("title_detail"), entry.get("title", "")) or None
    first, _, rest = body.partition("\n\n")
    found = match_dateline(first)
    dateline, agencies = (found.place, found.agencies) if found else (None, ())
    if found:
        body = "\n\n".join(part for part in (found.body.strip(), rest) if part)
    tags = entry.get("tags") or []
    published = _entry_time(entry)
    return Item(
        kind="brief",
        title=title,
        dateline=dateline,
        agencies=agencies,
        text=body,
        published_at=published,
        earliest=published,
        section=(tags[0].get("term") or None) if tags else None,
        source=source,
        url=entry.get("link") or None,
    )


def parse_feed(data: bytes, source: str, captured_at: datetime | None = None) -> ParseResult:
    """Items of an RSS/Atom feed in feed order; raises SourceError when the bytes
    are no feed at all. A feed broken half-way keeps the entries read before
    the break, with a warning. An entry dated after ``captured_at`` (when the
    feed was read) is dated then, with a warning, as wire text is."""
    import feedparser  # imported on first use: runs on wire files never need it

    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = f"not well-formed ({problem})" if parsed.bozo else "no RSS or Atom in it"
        raise SourceError(f"{source}: is not a readable feed: {reason}; check the file or URL")
    warnings: list[ParseWarning] = []
    if parsed.bozo:
        warnings.append(
            ParseWarning(
                source,
                f"feed is not well-formed ({problem}); kept what "
                f"could be read ({len(parsed.entries)} entries)",
            )
        )
    items: list[Item] = []
    for number, entry in enumerate(parsed.entries, start=1):
        item = entry_item(entry, source)
        if item is None:
            warnings.append(ParseWarning(source, f"entry {number} has no text; skipped"))
            continue
        if item.published_at is None:
            problem = "a date out of range" if _dated_entry(entry) else "no date"
            warnings.append(ParseWarning(source, f"entry {number} has {problem}; kept undated"))
        elif captured_at is not None and item.published_at > captured_at:
            warnings.append(
                ParseWarning(
                    source,
                    f"entry {number} is dated {_utc_text(item.published_at)}, after it was read "
                    f"({_utc_text(captured_at)}); dated when it was read",
                )
            )
            item = replace(item, published_at=captured_at, earliest=captured_at)
        items.append(item)
    return ParseResult(tuple(items), tuple(warnings))


def _utc_text(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def store_feed(
    store: Store,
    data: bytes,
    report: FeedReport,
    *,
    now: datetime,
    annotate: Annotate | None,
    classified_with: str = "",
    zone: tzinfo = UTC,
    pages: bool = False,
) -> None:
    """Parse ``data`` and store its items as one snapshot; fills ``report``.
    Bytes stored before (the same content hash) are not parsed again. With
    ``pages`` (a URL), bytes that are no feed but an HTML page or wire text are
    read as such, with ``now`` as their capture time and clock times in ``zone``;
    otherwise (a feed file) they are an error naming the file."""
    meta = SnapshotMeta(report.location, hashlib.sha256(data).hexdigest(), now)
    with store.begin() as conn:
        if snapshot_known(conn, meta.checksum):
            report.counts.skipped_snapshot = True
            return
    if not pages or looks_like_feed(data):
        result = parse_feed(data, report.location, now)
    else:
        page = parse_bytes(data, report.location, now.astimezone(zone))
        report.warnings.extend(page.warnings)
        result = page.result
    report.warnings.extend(str(w) for w in result.warnings)
    report.counts = store_parsed(store, meta, result.items, now, annotate, classified_with)


def ingest_feed(
    store: Store,
    name: str,
    location: str | Path,
    *,
    now: datetime,
    annotate: Annotate | None = None,
    classified_with: str = "",
    client: httpx.Client | None = None,
    timeout: float = FETCH_TIMEOUT,
    zone: tzinfo = UTC,
) -> FeedReport:
    """Read one feed file or URL (or a page URL: HTML or wire text) into the store;
    never raises SourceError (the report carries it). A URL that answers 304
    stores nothing."""
    report = FeedReport(name, path_name(location) if isinstance(location, Path) else location)
    try:
        if isinstance(location, Path):
            data = _read_file(location)
        else:
            fetched = _fetch(store, location, client, timeout)
            if fetched.data is None:
                report.not_modified = True
                return report
            data = fetched.data
        store_feed(
            store,
            data,
            report,
            now=now,
            annotate=annotate,
            classified_with=classified_with,
            zone=zone,
            pages=not isinstance(location, Path),
        )
        if not isinstance(location, Path):
            save_feed_state(store, location, fetched, now)
    except SourceError as exc:
        report.error = f"source {name!r}: {exc}"
    return report


def looks_like_feed(data: bytes) -> bool:
    from digest.ingest.pages import looks_like_feed as sniff  # pages imports this module

    return sniff(data)


def parse_bytes(data: bytes, name: str, captured_at: datetime) -> ReadSource:
    from digest.ingest.pages import parse_bytes as parse

    return parse(data, name, captured_at)


def _read_file(path: Path) -> bytes:
    data = read_regular_file(path, "feed file")[0]
    if len(data) > fetch.MAX_FEED_BYTES:
        raise SourceError(
            f"{path_name(path)}: the feed is over {fetch.MAX_FEED_BYTES} bytes; skipped"
        )
    return data


def _fetch(store: Store, url: str, client: httpx.Client | None, timeout: float) -> Fetched:
    known = load_feed_state(store, url)
    if client is not None:
        return fetch_feed(client, url, known, timeout=timeout)
    import httpx

    with httpx.Client() as own:
        return fetch_feed(own, url, known, timeout=timeout)
