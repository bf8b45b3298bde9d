"""RSS 2.0 and Atom feeds as a source: files or URLs in, stories in the store.

``parse_feed`` is pure (bytes in, items out): feedparser reads the feed, the
HTML of each entry is sanitised with nh3 and reduced to text, and a wire
dateline at the start of the text (``NUUK (ANP/AFP) - ...``) becomes the
item's dateline and agencies, as for wire snapshots. The edges fetch a feed
(``fetch_feed``, with a timeout and a conditional GET that remembers ETag and
Last-Modified in ``feed_state``) and store its items (``ingest_feed``). Every
failure is a SourceError naming the feed, reported per source by the caller.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import nh3
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from digest import __version__
from digest.errors import SourceError
from digest.ingest.dateline import match_dateline
from digest.ingest.load import Annotate, store_parsed
from digest.ingest.sources import html_to_text
from digest.model import Item, ParseResult, ParseWarning
from digest.store import Store
from digest.store.schema import feed_state
from digest.store.stories import IngestCounts, SnapshotMeta

FETCH_TIMEOUT = 30.0
USER_AGENT = f"digest/{__version__} (+feed reader)"
# Structure worth keeping on the way to text; everything else is unwrapped,
# and script/style/etc. are dropped with their content.
_KEEP_TAGS = {"p", "div", "br", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4"}
_DROP_CONTENT = {"script", "style", "iframe", "noscript", "template", "object", "svg"}


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed's bytes, or ``None`` when the server said it had not changed (304)."""

    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None


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


def html_text(html: str) -> str:
    """Sanitised text of an HTML fragment: paragraphs joined by a blank line."""
    safe = nh3.clean(html, tags=_KEEP_TAGS, clean_content_tags=_DROP_CONTENT, attributes={})
    return "\n\n".join(html_to_text(safe).splitlines())


def _detail_text(detail: Any, fallback: str) -> str:
    value = (detail or {}).get("value", fallback) or ""
    kind = (detail or {}).get("type", "text/html")
    return html_text(value) if "html" in kind else " ".join(value.split())


def _entry_body(entry: Any) -> str:
    contents = entry.get("content") or []
    if contents:
        return _detail_text(contents[0], "")
    return _detail_text(entry.get("summary_detail"), entry.get("summary", ""))


def _entry_time(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


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


def parse_feed(data: bytes, source: str) -> ParseResult:
    """Items of an RSS/Atom feed in feed order; raises SourceError when the bytes
    are no feed at all. A feed broken half-way keeps the entries read before
    the break, with a warning."""
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
            warnings.append(ParseWarning(source, f"entry {number} has no date; kept undated"))
        items.append(item)
    return ParseResult(tuple(items), tuple(warnings))


def _state_key(location: str) -> str:
    if len(location) <= 128:
        return location
    return "sha256:" + hashlib.sha256(location.encode()).hexdigest()


def load_feed_state(store: Store, location: str) -> Fetched:
    """The validators remembered for ``location`` (no data)."""
    query = select(feed_state).where(feed_state.c.source == _state_key(location))
    with store.begin() as conn:
        row = conn.execute(query).first()
    return Fetched(None, row.etag, row.last_modified) if row else Fetched(None)


def save_feed_state(store: Store, location: str, fetched: Fetched, now: datetime) -> None:
    values = {
        "source": _state_key(location),
        "etag": fetched.etag,
        "last_modified": fetched.last_modified,
        "fetched_at": now.astimezone(UTC),
    }
    dialect = postgresql if store.dialect == "postgresql" else sqlite
    upsert = dialect.insert(feed_state).values(**values)
    upsert = upsert.on_conflict_do_update(
        index_elements=[feed_state.c.source],
        set_={k: upsert.excluded[k] for k in ("etag", "last_modified", "fetched_at")},
    )
    with store.begin() as conn:
        conn.execute(upsert)


def fetch_feed(client: httpx.Client, url: str, known: Fetched, *, timeout: float) -> Fetched:
    """GET ``url`` conditionally; ``data`` is None when it answered 304."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    try:
        response = client.get(url, headers=headers, timeout=timeout, follow_redirects=True)
    except httpx.TimeoutException as exc:
        raise SourceError(f"{url}: no answer within {timeout:g} s; try again later") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"{url}: cannot be fetched ({exc}); check the URL") from exc
    if response.status_code == 304:
        return Fetched(None, known.etag, known.last_modified)
    if response.status_code != 200:
        raise SourceError(
            f"{url}: answered HTTP {response.status_code} {response.reason_phrase}; check the URL"
        )
    return Fetched(
        response.content, response.headers.get("ETag"), response.headers.get("Last-Modified")
    )


def store_feed(
    store: Store,
    data: bytes,
    report: FeedReport,
    *,
    now: datetime,
    annotate: Annotate | None,
    classified_with: str = "",
) -> None:
    """Parse ``data`` and store its items as one snapshot; fills ``report``."""
    result = parse_feed(data, report.location)
    report.warnings.extend(str(w) for w in result.warnings)
    meta = SnapshotMeta(report.location, hashlib.sha256(data).hexdigest(), now)
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
) -> FeedReport:
    """Read one feed file or URL into the store; never raises SourceError (the
    report carries it). A URL that answers 304 stores nothing."""
    report = FeedReport(name, str(location))
    try:
        if isinstance(location, Path):
            data = _read_file(location)
        else:
            fetched = _fetch(store, location, client, timeout)
            if fetched.data is None:
                report.not_modified = True
                return report
            data = fetched.data
        store_feed(store, data, report, now=now, annotate=annotate, classified_with=classified_with)
        if not isinstance(location, Path):
            save_feed_state(store, location, fetched, now)
    except SourceError as exc:
        report.error = f"source {name!r}: {exc}"
    return report


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such feed file; check the path") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from exc


def _fetch(store: Store, url: str, client: httpx.Client | None, timeout: float) -> Fetched:
    known = load_feed_state(store, url)
    if client is not None:
        return fetch_feed(client, url, known, timeout=timeout)
    with httpx.Client() as own:
        return fetch_feed(own, url, known, timeout=timeout)
