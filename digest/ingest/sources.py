"""Reading snapshot files: bytes in, decoded text out, or a clear SourceError.

This is the I/O edge of ingestion. It decides what a file is (text, HTML,
binary, empty) and how it is encoded; it never parses news.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from digest.errors import SourceError

SNAPSHOT_SUFFIXES = {".txt", ".text", ".html", ".htm", ""}
_HTML_SNIFF = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<\?xml)", re.IGNORECASE)
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "article",
    "section",
    "header",
    "footer",
    "time",
    "span",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A decoded snapshot and what we know of where it came from."""

    path: Path
    text: str
    checksum: str
    captured_at: datetime
    warnings: tuple[str, ...] = ()


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one line per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "noscript", "template"}:
            self._skip += 1
        elif tag in _BLOCK_TAGS and tag != "span":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "noscript", "template"}:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS and tag != "span":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    """The visible text of an HTML page, for snapshots saved as HTML."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) // 20


def decode_snapshot(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode the bytes of a snapshot; warnings say what was guessed."""
    if not data.strip():
        raise SourceError(f"{name}: the file is empty; nothing to ingest")
    if _looks_binary(data):
        raise SourceError(f"{name}: the file is binary, not a text snapshot; remove it")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warnings.append(f"{name}: not UTF-8; decoded as Windows-1252 (cp1252)")
    if _HTML_SNIFF.match(data):
        text = html_to_text(text)
        warnings.append(f"{name}: HTML page; using its visible text")
        if not text.strip():
            raise SourceError(f"{name}: HTML page without visible text; nothing to ingest")
    return text, warnings


def read_snapshot(path: Path, captured_at: datetime | None = None) -> Snapshot:
    """Read and decode one snapshot file; the capture time defaults to its mtime."""
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file; check the path") from exc
    except IsADirectoryError as exc:
        raise SourceError(f"{path}: is a folder; pass files or use ingest on the folder") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from exc
    text, warnings = decode_snapshot(data, str(path))
    when = captured_at or datetime.fromtimestamp(mtime, tz=UTC)
    return Snapshot(path, text, hashlib.sha256(data).hexdigest(), when, tuple(warnings))


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and the snapshot files inside folders named (sorted); missing
    paths are passed through so that reading them reports the error by name."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield path
