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
from digest.ingest.sources import decode_snapshot, is_html, path_name, read_regular_file
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
        return ReadSource(parse_feed(data, name), "feed", checksum, captured_at)
    text, warnings = decode_snapshot(data, name)
    kind = "html" if is_html(data) else "wire"
    result = parse_snapshot(text, captured_at, name)
    return ReadSource(result, kind, checksum, captured_at, tuple(warnings))


def read_source(path: Path, captured_at: datetime | None, zone: tzinfo = UTC) -> ReadSource:
    """Read and parse one file; the capture time defaults to its modification time, and
    clock times on a page are read in ``zone``. Raises SourceError naming the file."""
    data, mtime = read_regular_file(path)
    when = captured_at or datetime.fromtimestamp(mtime, tz=UTC).astimezone(zone)
    return parse_bytes(data, path_name(path), when)
