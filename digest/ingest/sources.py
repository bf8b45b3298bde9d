"""Reading snapshot files: bytes in, decoded text out, or a clear SourceError.

This is the I/O edge of ingestion. It decides what a file is (text, HTML,
binary, empty) and how it is encoded; it never parses news.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from digest.errors import SourceError

SNAPSHOT_SUFFIXES = {".txt", ".text", ".html", ".htm", ""}
#: Larger files are refused unread: a page snapshot or a feed is far smaller.
MAX_FILE_BYTES = 32 * 1024 * 1024
# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
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


_HIDDEN = {"script", "style", "noscript", "template", "button", "select", "svg", "title"}
# Page chrome by element or by id/class: navigation, footers, sidebars, cookie banners.
_CHROME_TAGS = {"nav", "footer", "aside", "form", "dialog", "menu"}
_CHROME_NAMES = re.compile(
    r"cookie|consent|gdpr|banner|\bnav|menu|footer|sidebar|share|social|newsletter|"
    r"related|popular|populair|teaser|advert|promo|breadcrumb",
    re.IGNORECASE,
)
_VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "col", "area", "embed"}


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one line per block element; with ``drop_chrome``
    also without navigation, footers, sidebars and cookie banners."""

    def __init__(self, drop_chrome: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._drop_chrome = drop_chrome
        self._open: list[tuple[str, bool]] = []  # open elements: (tag, starts a skipped subtree)

    def _skipped(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in _HIDDEN:
            return True
        if not self._drop_chrome:
            return False
        names = " ".join(v or "" for k, v in attrs if k in {"id", "class", "role"})
        return tag in _CHROME_TAGS or (tag != "body" and _CHROME_NAMES.search(names) is not None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag == "br":
                self.parts.append("\n")
            return
        skipped = self._skipped(tag, attrs)
        self._open.append((tag, skipped))
        if skipped:
            self._skip += 1
        elif tag in _BLOCK_TAGS and tag != "span":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if any(name == tag for name, _ in self._open):  # also closes what was left open
            while self._open:
                name, skipped = self._open.pop()
                self._skip -= skipped
                if name == tag:
                    break
        if tag in _BLOCK_TAGS and tag != "span":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def html_to_text(html: str, drop_chrome: bool = False) -> str:
    """The visible text of an HTML page, for snapshots saved as HTML; ``drop_chrome``
    leaves out navigation, footers, sidebars and cookie banners as well."""
    extractor = _TextExtractor(drop_chrome)
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def is_html(data: bytes) -> bool:
    """True for bytes that start like an HTML (or other SGML/XML) document."""
    return _HTML_SNIFF.match(data) is not None


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) // 20


def path_name(path: Path | str) -> str:
    """``path`` as text that can be printed and stored: bytes of a file name that
    are not UTF-8 are shown as ``\\xff`` escapes instead of breaking the output."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _decode_bom(data: bytes, name: str) -> str | None:
    """The text of a UTF-16/UTF-32 file that starts with its byte order mark."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{name}: marked {codec.upper()} but not valid {codec.upper()} "
                    f"(at byte {exc.start}); save it again as UTF-8"
                ) from exc
    return None


def decode_snapshot(data: bytes, name: str, keep_html: bool = False) -> tuple[str, list[str]]:
    """Decode the bytes of a snapshot; warnings say what was guessed. An HTML page
    becomes its visible text unless ``keep_html``."""
    warnings: list[str] = []
    wide = _decode_bom(data, name)
    if wide is not None:
        data = wide.encode("utf-8")
    if not data.strip():
        raise SourceError(f"{name}: the file is empty; nothing to ingest")
    if _looks_binary(data):
        raise SourceError(f"{name}: the file is binary, not a text snapshot; remove it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warnings.append(f"{name}: not UTF-8; decoded as Windows-1252 (cp1252)")
    if _HTML_SNIFF.match(data) and not keep_html:
        text = html_to_text(text)
        warnings.append(f"{name}: HTML page; using its visible text")
        if not text.strip():
            raise SourceError(f"{name}: HTML page without visible text; nothing to ingest")
    return text, warnings


def read_regular_file(path: Path, what: str = "file") -> tuple[bytes, float]:
    """The bytes and mtime of a regular file; anything else (a FIFO, a device, a
    socket, a file over :data:`MAX_FILE_BYTES`) is a SourceError, never a hang."""
    name = path_name(path)
    try:
        # O_NONBLOCK: opening a FIFO without a writer must not wait for one.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise SourceError(f"{name}: no such {what}; check the path") from exc
    except OSError as exc:
        raise SourceError(f"{name}: cannot be read ({exc.strerror})") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(f"{name}: is a folder; pass files or use ingest on the folder")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{name}: is not a regular file (a pipe or device?); skipped")
        if info.st_size > MAX_FILE_BYTES:
            raise SourceError(
                f"{name}: is {info.st_size} bytes, over the {MAX_FILE_BYTES} byte limit; skipped"
            )
        data = _read_fd(fd, name)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"{name}: grew over the {MAX_FILE_BYTES} byte limit; skipped")
    return data, info.st_mtime


def _read_fd(fd: int, name: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= MAX_FILE_BYTES and (chunk := os.read(fd, 1 << 20)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SourceError(f"{name}: cannot be read ({exc.strerror})") from exc
    return b"".join(chunks)


def read_snapshot(path: Path, captured_at: datetime | None = None) -> Snapshot:
    """Read and decode one snapshot file; the capture time defaults to its mtime."""
    data, mtime = read_regular_file(path)
    text, warnings = decode_snapshot(data, path_name(path))
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
