"""Ingest that survives anything: hypothesis on the parsers, and a corpus generated
here (1,000+ mutated snapshots, 50+ hostile feeds) ingested in folders that mix
them with good files. No traceback, no hang, every good file stored, and the
SQLite file passes ``pragma integrity_check``.

The corpus is made by code from the seeds and a seeded random generator, so a
failure repeats exactly; nothing of it is committed.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from digest.errors import SourceError
from digest.ingest.feeds import ingest_feed, parse_feed
from digest.ingest.load import ingest_paths
from digest.ingest.sources import decode_snapshot
from digest.ingest.wire import parse_snapshot
from digest.store import Store, open_store
from digest.store.schema import snapshots

pytestmark = pytest.mark.filterwarnings("ignore:To avoid breaking existing software")
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CAPTURED = datetime(2026, 1, 21, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 21, 9, 30, tzinfo=UTC)
HOSTILE_TIMES = [
    "31 december 9999", "1 januari 0001 00:05", "31-12-9999 23:59", "0001-01-01",
    "9999 weken geleden", "99999999999999999999 minuten geleden", "29 februari 2025",
    "gisteren 24:61", "vandaag 23:59", "00:00", "1 januari 1899",
]  # fmt: skip
JUNK = [
    "\x00", "\ufeff", "\u00a0", "\u200b", "\ue000name\ue001", "\r", "\r\n\r\n", "\t" * 50,
    "Meer uit ", "(ANP) - ", " – ", "<html>", "</p>", "&#0;", "\ud7ff", "\U0001f600",
    "%digest-name-text%", "A" * 5000, "(" * 300, "ANP ",
]  # fmt: skip


def _seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def mutate(rng: random.Random, base: str) -> bytes:
    """A snapshot damaged a few ways at once: lines cut, doubled, shuffled, hostile
    times and junk inserted, truncated, re-encoded."""
    lines = base.splitlines()
    for _ in range(rng.randint(1, 6)):
        choice = rng.randrange(7)
        at = rng.randrange(len(lines) + 1)
        if choice == 0 and lines:
            del lines[min(at, len(lines) - 1)]
        elif choice == 1 and lines:
            lines.insert(at, lines[min(at, len(lines) - 1)])
        elif choice == 2:
            lines.insert(at, rng.choice(HOSTILE_TIMES))
        elif choice == 3:
            lines.insert(at, rng.choice(JUNK) * rng.randint(1, 3))
        elif choice == 4 and lines:
            i = min(at, len(lines) - 1)
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(HOSTILE_TIMES + JUNK) + lines[i][cut:]
        elif choice == 5:
            rng.shuffle(lines)
        else:
            lines = lines[: rng.randrange(len(lines) + 1)]
    body = rng.choice(["\n", "\r\n", "\r"]).join(lines)
    encoding = rng.choice(["utf-8", "utf-8", "utf-8", "cp1252", "utf-16", "utf-32", "latin-1"])
    data = body.encode(encoding, errors="replace")
    if rng.random() < 0.1:
        data = data[: rng.randrange(len(data) + 1)]  # cut mid-character
    if rng.random() < 0.05:
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) + data
    if rng.random() < 0.05:
        data = b"<!doctype html><html><body>" + b"<div>" * 3000 + data + b"</body></html>"
    return data


def _nested(depth: int) -> str:
    return "<div>" * depth + "NUUK (ANP) - diep" + "</div>" * depth


def hostile_feed(rng: random.Random, n: int) -> bytes:
    """An RSS or Atom feed with bad dates, deep or huge HTML, broken XML, or none."""
    date = rng.choice([
        "Fri, 31 Dec 9999 23:59:00 +0000", "Mon, 01 Jan 0001 00:05:00 +0100",
        "gisteren", "", "Wed, 21 Jan 2026 06:30:00 +0100", "9999-99-99",
    ])  # fmt: skip
    body = rng.choice([
        _nested(rng.randint(1000, 40000)), "<p>" + "woord " * 60000 + "</p>",
        "<script>alert(1)</script><p>MIDDELBURG - tekst</p>", "<b>" * 20000,
        "<p>%digest-unsubscribe_url-html%</p>", "", "&#x0;&#xd800;" * 50,
    ])  # fmt: skip
    item = (
        f"<item><title>Bericht {n}</title><pubDate>{date}</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
    )
    kind = rng.randrange(6)
    if kind == 0:  # Atom
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>t</title><entry><title>E{n}</title><updated>{date}</updated>"
            f'<content type="html"><![CDATA[{body}]]></content></entry></feed>'
        ).encode()
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{item}'
    if kind == 1:
        return feed.encode()[: rng.randrange(20, len(feed) + 1)]  # truncated anywhere
    if kind == 2:
        return (feed + "</channel></rss>").encode("utf-16")
    if kind == 3:
        return b"\x00\xff" + feed.encode()
    return (feed + item * rng.randint(1, 3) + "</channel></rss>").encode()


def place(n: int) -> str:
    """A dateline place of capitals only, unique to ``n``."""
    return "PLAATS" + "".join(chr(ord("A") + int(d)) for d in str(n))


def good_snapshot(n: int) -> tuple[bytes, int]:
    """A clean snapshot of unique briefs (its own words, so nothing merges with it)."""
    briefs = [
        f"{place(n * 10 + i)} (ANP) - Uniek bericht {n}-{i} over woord{n}x{i} en ding{n}y{i}.\n"
        f"{i + 1} minuten geleden"
        for i in range(3)
    ]
    return ("\n".join(briefs) + "\n").encode(), 3


def good_feed(n: int) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>Goed {n}</title><pubDate>Wed, 21 Jan 2026 06:30:00 +0100</pubDate>"
        f"<description>{place(9000 + n)} (ANP) - Goed feedbericht {n} woord{n}.</description>"
        "</item></channel></rss>"
    ).encode()


# --- hypothesis: the parsers on arbitrary input -----------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_decode_to_text_or_a_source_error(data: bytes) -> None:
    try:
        text_, _ = decode_snapshot(data, "x")
    except SourceError:
        return
    parse_snapshot(text_, CAPTURED, "x")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(HOSTILE_TIMES + JUNK),
            st.text(max_size=80),
            st.from_regex(r"[A-Z]{2,12} \(ANP\) - [a-z ]{0,40}\.", fullmatch=True),
        ),
        max_size=30,
    )
)
def test_any_lines_parse_without_an_exception(lines: list[str]) -> None:
    result = parse_snapshot("\n".join(lines), CAPTURED, "x")
    for item in result.items:
        assert item.published_at is None or item.published_at <= CAPTURED


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_any_hostile_feed_parses_or_is_a_source_error(n: int, rng: random.Random) -> None:
    with contextlib.suppress(SourceError):
        parse_feed(hostile_feed(rng, n), "f")


# --- the corpus, ingested in mixed folders ------------------------------------------------


def write_corpus(root: Path, rng: random.Random) -> tuple[list[Path], dict[str, int], list[Path]]:
    """Folders mixing 1,000 mutated snapshots with good ones; good files' checksums
    with their brief counts; and feed files (50 hostile, 10 good)."""
    seeds = _seed_texts()
    root.mkdir()
    folders: list[Path] = []
    good: dict[str, int] = {}
    for f in range(10):
        folder = root / f"map{f}"
        folder.mkdir()
        folders.append(folder)
        for i in range(100):
            data = mutate(rng, rng.choice(seeds))
            (folder / f"{i:03d}-kapot.txt").write_bytes(data)
        for i in range(5):
            data, briefs = good_snapshot(f * 10 + i)
            (folder / f"{i:03d}-goed.txt").write_bytes(data)
            good[hashlib.sha256(data).hexdigest()] = briefs
        (folder / "lege.txt").write_bytes(b"")
        (folder / "utf16.txt").write_bytes(codecs.BOM_UTF16_LE + seeds[f % 2].encode("utf-16-le"))
    feeds = root / "feeds"
    feeds.mkdir()
    feed_files = []
    for i in range(50):
        path = feeds / f"kapot-{i:02d}.xml"
        path.write_bytes(hostile_feed(rng, i))
        feed_files.append(path)
    for i in range(10):
        path = feeds / f"goed-{i:02d}.xml"
        path.write_bytes(good_feed(i))
        feed_files.append(path)
    return folders, good, feed_files


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_fuzzed_corpus_never_stops_an_ingest_and_every_good_file_is_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folders, good, feed_files = write_corpus(tmp_path / "corpus", random.Random(1414))
    assert sum(1 for f in folders for p in f.glob("*-kapot.txt")) >= 1000
    assert sum(1 for p in feed_files if p.name.startswith("kapot")) >= 50
    store: Store = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    slowest = 0.0
    try:
        with caplog.at_level(logging.ERROR):
            for folder in folders:
                started = time.monotonic()
                report = ingest_paths(store, [folder], now=NOW, captured_at=CAPTURED)
                slowest = max(slowest, time.monotonic() - started)
                assert len(report.files) == 107
                for failed in report.failed:  # refused by name, never a parser failure
                    assert failed.error and "cannot be parsed" not in failed.error, failed.error
            for path in feed_files:
                started = time.monotonic()
                feed = ingest_feed(store, path.name, path, now=NOW)
                slowest = max(slowest, time.monotonic() - started)
                assert path.name.startswith("kapot") or (feed.error is None and feed.counts.new)
        assert [r.getMessage() for r in caplog.records] == []  # no logged traceback
        assert slowest < 20, f"one folder or feed took {slowest:.1f} s"
        with store.begin() as conn:
            stored = dict(conn.execute(select(snapshots.c.checksum, snapshots.c.item_count)).all())
            assert conn.execute(text("pragma integrity_check")).scalar() == "ok"
        assert {k: stored.get(k) for k in good} == good  # every good file, whole
    finally:
        store.close()
