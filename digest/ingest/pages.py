"""One source file into items, whatever it holds: an RSS/Atom feed (recognised by
its content, not its name), an HTML page or wire text. The shared reader of
``digest parse``, ``explain`` and ``ingest``; only the bytes are I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from digest.errors import SourceError
from digest.ingest.fetch import MAX_FEED_BYTES
from digest.ingest.sources import (
    decode_snapshot,
    html_to_text,
    is_html,
    path_name,
    read_regular_file,
)
from digest.ingest.wire import parse_snapshot
from digest.model import ParseResult

# An XML declaration, comments, processing instructions or a doctype may come first.
_PROLOGUE = re.compile(rb"\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*", re.DOTALL)
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?(?:rss|feed|RDF)[\s>/]")


@dataclass(frozen=True, slots=True)
class ReadSource:
    """The items of one file, what it was, and what ingestion needs to store it."""

    result: ParseResult
    kind: str  # "feed", "html" or "wire"
    checksum: str
    captured_at: datetime
    warnings: tuple[str, ...] = ()


def looks_like_feed(data: bytes) -> bool:
    """True when the document element is ``<rss>``, ``<feed>`` or ``<rdf:RDF>``."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf")
    prologue = _PROLOGUE.match(head)
    return _FEED_ROOT.match(head, prologue.end() if prologue else 0) is not None


def parse_bytes(data: bytes, name: str, captured_at: datetime) -> ReadSource:
    """Bytes of a feed, an HTML page or wire text into items (``captured_at`` aware)."""
    checksum = hashlib.sha256(data).hexdigest()
    if looks_like_feed(data):
        from digest.ingest.feeds import parse_feed  # feeds imports the store edge

        if len(data) > MAX_FEED_BYTES:
            raise SourceError(f"{name}: the feed is over {MAX_FEED_BYTES} bytes; skipped")
        return ReadSource(parse_feed(data, name, captured_at), "feed", checksum, captured_at)
    if is_html(data):
        html, warnings = decode_snapshot(data, name, keep_html=True)
        result, used = parse_html(html, name, captured_at)
        warnings.append(f"{name}: HTML page; using {used}")
        return ReadSource(result, "html", checksum, captured_at, tuple(warnings))
    text, warnings = decode_snapshot(data, name)
    return ReadSource(
        parse_snapshot(text, captured_at, name), "wire", checksum, captured_at, tuple(warnings)
    )


def read_source(path: Path, captured_at: datetime | None, zone: tzinfo = UTC) -> ReadSource:
    """Read and parse one file; the capture time defaults to its modification time, and
    clock times on a page are read in ``zone``. Raises SourceError naming the file."""
    data, mtime = read_regular_file(path)
    when = captured_at or datetime.fromtimestamp(mtime, tz=UTC).astimezone(zone)
    return parse_bytes(data, path_name(path), when)


def main_content(html: str) -> str:
    """The article or main content of an HTML page as text, by readability-lxml."""
    from readability import Document  # lxml is slow to import; only HTML needs it

    try:
        summary = Document(html).summary(html_partial=True)
    except Exception:  # readability raises bare lxml errors on odd pages; fall back
        return ""
    return html_to_text(summary, drop_chrome=True)


def parse_html(html: str, name: str, captured_at: datetime) -> tuple[ParseResult, str]:
    """Items of an HTML page: its main content parsed as wire text, unless the page's
    visible text without navigation, footers, sidebars and cookie banners holds more
    items (a list page whose items readability splits up); and which text was used."""
    main = main_content(html)
    chosen = parse_snapshot(main, captured_at, name) if main.strip() else None
    visible = html_to_text(html, drop_chrome=True)
    fallback = parse_snapshot(visible, captured_at, name)
    if chosen is not None and len(chosen.items) >= len(fallback.items):
        return chosen, "its visible text (main content, by readability-lxml)"
    return fallback, "its visible text (without navigation, footers and banners)"
