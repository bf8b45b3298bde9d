"""RSS 2.0 and Atom sources: parsing, sanitising, storing, and conditional HTTP fetches."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest.errors import SourceError
from digest.ingest import feeds, fetch
from digest.ingest.feeds import html_text, ingest_feed, parse_feed
from digest.ingest.fetch import load_feed_state
from digest.model import Item
from digest.store import Store
from digest.store.stories import list_stories

FEEDS = Path(__file__).parent / "data" / "feeds"
RSS = FEEDS / "regio_zeeland.rss.xml"
ATOM = FEEDS / "anp_buitenland.atom.xml"
TRUNCATED = FEEDS / "truncated.rss.xml"
NOT_A_FEED = FEEDS / "not_a_feed.xml"
NOW = datetime(2026, 1, 21, 6, 50, tzinfo=UTC)


def parse(path: Path) -> list[Item]:
    return list(parse_feed(path.read_bytes(), str(path)).items)


def test_rss_items_carry_title_dateline_time_link_and_category() -> None:
    items = parse(RSS)
    assert [i.title for i in items] == [
        "Veerdienst Vlissingen-Breskens vaart weer na storing",
        "Storm legt verkeer op Zeeuwse dammen stil",
        "Gemeenteraad Terneuzen stemt in met nieuwe haven",
    ]
    first = items[0]
    assert (first.kind, first.dateline, first.agencies) == ("brief", "VLISSINGEN", ("ANP",))
    assert first.text.startswith("De voetveerdienst tussen Vlissingen en Breskens")
    assert first.published_at == datetime(2026, 1, 21, 5, 30, tzinfo=UTC)
    assert first.url == "https://regio.example.nl/zeeland/2026/01/21/veerdienst-vaart-weer"
    assert first.section == "Zeeland" and first.source == str(RSS)
    assert (items[1].dateline, items[1].agencies) == ("MIDDELBURG", ())
    assert items[2].dateline is None


def test_feed_html_is_sanitised_to_text_with_paragraphs() -> None:
    text = "\n".join(i.text for i in parse(RSS))
    for unwanted in ("<", "document.cookie", "evil.example", "alert", "ads.example"):
        assert unwanted not in text
    storm = parse(RSS)[1]
    assert storm.text.endswith(
        "afneemt & het water zakt.\n\nOp de Brouwersdam werden windstoten van "
        "120 kilometer per uur gemeten."
    )


def test_html_text_drops_script_and_style_with_their_content() -> None:
    html = '<p>Een <b>vet</b> woord.</p><script>alert("x")</script><style>p{}</style><p>Twee</p>'
    assert html_text(html) == "Een vet woord.\n\nTwee"


def test_atom_entries_use_content_and_plain_titles_and_keep_undated_ones() -> None:
    result = parse_feed(ATOM.read_bytes(), str(ATOM))
    nuuk, parijs, geneve = result.items
    assert (nuuk.dateline, nuuk.agencies) == ("NUUK", ("ANP", "AFP"))
    assert nuuk.text.startswith("De regering van Groenland wil zelf aan tafel zitten")
    assert '"Over ons niet zonder ons"' in nuuk.text
    assert parijs.title == "Frankrijk drukt begroting door"
    assert parijs.text == (
        "Frankrijk wil zijn staatsbegroting voor 2026 doordrukken buiten het parlement om. "
        "Dat melden Franse media.\n\nOfficieel is de stap nog niet bekendgemaakt."
    )
    assert parijs.published_at == datetime(2026, 1, 21, 5, 55, tzinfo=UTC)
    assert geneve.dateline == "GENÈVE" and geneve.published_at is None
    assert [str(w) for w in result.warnings] == [f"{ATOM}: entry 3 has no date; kept undated"]


def test_a_feed_broken_half_way_keeps_the_complete_entries_with_a_warning() -> None:
    result = parse_feed(TRUNCATED.read_bytes(), str(TRUNCATED))
    assert [i.dateline for i in result.items] == ["VLISSINGEN"]
    messages = [w.message for w in result.warnings]
    assert messages[0].startswith("feed is not well-formed")
    assert messages[1] == "entry 2 has no text; skipped"


def test_bytes_that_are_no_feed_are_refused_by_name() -> None:
    with pytest.raises(SourceError, match=r"not_a_feed\.xml: is not a readable feed"):
        parse_feed(NOT_A_FEED.read_bytes(), str(NOT_A_FEED))
    with pytest.raises(SourceError, match=r"api\.json: is not a readable feed"):
        parse_feed(b'{"items": []}', "api.json")


def test_feed_files_become_stories_once(store: Store) -> None:
    first = ingest_feed(store, "zeeland", RSS, now=NOW)
    again = ingest_feed(store, "zeeland", RSS, now=NOW)
    assert first.error is None and first.counts.new == 3
    assert again.status == "known"
    found = list_stories(store)
    assert len(found) == 3
    assert {s.url for s in found} >= {"https://regio.example.nl/zeeland/2026/01/20/haven-terneuzen"}
    assert all(s.first_seen == NOW for s in found)


def test_a_bad_feed_is_reported_without_raising_and_others_still_go_in(store: Store) -> None:
    reports = [
        ingest_feed(store, "kapot", NOT_A_FEED, now=NOW),
        ingest_feed(store, "weg", FEEDS / "missing.xml", now=NOW),
        ingest_feed(store, "buitenland", ATOM, now=NOW),
    ]
    assert reports[0].error is not None and "source 'kapot'" in reports[0].error
    assert reports[1].error is not None and "no such feed file" in reports[1].error
    assert reports[2].error is None and reports[2].counts.new == 3


def test_items_are_classified_by_the_given_function(store: Store) -> None:
    def annotate(item: Item) -> Item:
        from dataclasses import replace

        regions = ("groenland",) if "Groenland" in item.text else ()
        return replace(item, regions=regions)

    ingest_feed(store, "buitenland", ATOM, now=NOW, annotate=annotate)
    assert [s.dateline for s in list_stories(store, region="groenland")] == ["NUUK"]


# --- over HTTP: a real server on 127.0.0.1 --------------------------------------------


@dataclass
class FeedServer:
    """Serves one feed with an ETag and Last-Modified; records the request headers."""

    body: bytes
    etag: str = '"v1"'
    last_modified: str = "Wed, 21 Jan 2026 05:45:00 GMT"
    status: int = 200
    delay: float = 0.0
    ignore_conditions: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append(dict(self.headers.items()))
            if server.delay:
                time.sleep(server.delay)
            # If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2).
            if "If-None-Match" in self.headers:
                fresh = self.headers["If-None-Match"] == server.etag
            else:
                fresh = self.headers.get("If-Modified-Since") == server.last_modified
            if server.status == 200 and fresh and not server.ignore_conditions:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(server.status)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", server.etag)
            self.send_header("Last-Modified", server.last_modified)
            self.end_headers()
            self.wfile.write(server.body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer(RSS.read_bytes())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/zeeland.rss"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_an_unchanged_feed_is_not_fetched_again(store: Store, feed_server: FeedServer) -> None:
    first = ingest_feed(store, "zeeland", feed_server.url, now=NOW)
    second = ingest_feed(store, "zeeland", feed_server.url, now=NOW)
    assert first.counts.new == 3 and first.error is None
    assert second.not_modified and second.status == "not modified"
    assert second.counts.new == second.counts.known == 0
    assert feed_server.requests[1]["If-None-Match"] == '"v1"'
    assert feed_server.requests[1]["If-Modified-Since"] == feed_server.last_modified
    assert "If-None-Match" not in feed_server.requests[0]
    assert load_feed_state(store, feed_server.url).etag == '"v1"'


def test_a_changed_feed_is_read_again(store: Store, feed_server: FeedServer) -> None:
    ingest_feed(store, "zeeland", feed_server.url, now=NOW)
    feed_server.etag = '"v2"'
    feed_server.body = ATOM.read_bytes()
    again = ingest_feed(store, "zeeland", feed_server.url, now=NOW)
    assert again.counts.new == 3
    assert load_feed_state(store, feed_server.url).etag == '"v2"'


def test_an_http_error_is_a_clear_per_source_error(store: Store, feed_server: FeedServer) -> None:
    feed_server.status = 503
    report = ingest_feed(store, "zeeland", feed_server.url, now=NOW)
    assert report.error == (
        f"source 'zeeland': {feed_server.url}: answered HTTP 503 Service Unavailable; check the URL"
    )
    assert load_feed_state(store, feed_server.url).etag is None


def test_a_feed_that_does_not_answer_in_time_is_an_error(
    store: Store, feed_server: FeedServer
) -> None:
    feed_server.delay = 1.0
    report = ingest_feed(store, "traag", feed_server.url, now=NOW, timeout=0.2)
    assert report.error is not None and "no answer within 0.2 s" in report.error
    assert list_stories(store) == []


def test_an_unreachable_feed_is_an_error(store: Store) -> None:
    report = ingest_feed(store, "weg", "http://127.0.0.1:9/feed.rss", now=NOW, timeout=2)
    assert report.error is not None and report.error.startswith("source 'weg': http://127.0.0.1:9")


def _rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _item(title: str, body: str, date: str = "Wed, 21 Jan 2026 06:30:00 +0100") -> str:
    return (
        f"<item><title>{title}</title><pubDate>{date}</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
    )


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:00 +0000", "Mon, 01 Jan 0001 00:05:00 -0100"]
)
def test_an_entry_dated_out_of_range_is_kept_undated_with_a_warning(date: str) -> None:
    result = parse_feed(
        _rss(_item("Ver weg", "<p>Tekst.</p>", date), _item("Nu", "<p>Ook.</p>")), "f"
    )
    assert [i.published_at for i in result.items] == [
        None,
        datetime(2026, 1, 21, 5, 30, tzinfo=UTC),
    ]
    assert [str(w) for w in result.warnings] == ["f: entry 1 has a date out of range; kept undated"]


def test_an_entry_dated_out_of_range_is_stored(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "f.rss.xml"
    feed.write_bytes(
        _rss(_item("Ver weg", "<p>NUUK (ANP) - Tekst.</p>", "Fri, 31 Dec 9999 23:59:00 +0000"))
    )
    report = ingest_feed(store, "f", feed, now=NOW)
    assert report.error is None and report.counts.new == 1
    assert [s.published_at for s in list_stories(store)] == [None]


@pytest.mark.timeout(60)
def test_deeply_nested_html_is_capped_before_sanitising_in_linear_time() -> None:
    depth = 80_000  # 880 KB: over 40 s before the cap
    started = time.monotonic()
    text = html_text("<div>" * depth + "tekst" + "</div>" * depth)
    assert time.monotonic() - started < 2.0
    assert "<" not in text
    nested = html_text("<div>" * (feeds.MAX_DEPTH + 20) + "diep" + "</div>" * 200 + "<p>na</p>")
    assert nested == "diep\n\nna"


def test_an_entry_over_the_size_cap_is_cut() -> None:
    body = "<p>" + "woord " * (feeds.MAX_ENTRY_CHARS // 3) + "</p>"
    result = parse_feed(_rss(_item("Lang", body)), "f")
    assert len(result.items[0].text) <= feeds.MAX_ENTRY_CHARS


def test_an_unchanged_feed_file_is_not_parsed_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ingest_feed(store, "zeeland", RSS, now=NOW)
    assert first.counts.new == 3

    def refuse(data: bytes, source: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(feeds, "parse_feed", refuse)
    again = ingest_feed(store, "zeeland", RSS, now=NOW)
    assert again.error is None and again.status == "known"


def test_a_server_ignoring_the_conditional_get_with_the_same_etag_is_not_parsed_again(
    store: Store, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_feed(store, "zeeland", feed_server.url, now=NOW)

    def refuse(data: bytes, source: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(feeds, "parse_feed", refuse)
    # The server answers 200 with the full body (it ignores If-None-Match) but the same ETag.
    feed_server.ignore_conditions = True
    again = ingest_feed(store, "zeeland", feed_server.url, now=NOW)
    assert again.error is None and again.not_modified


def test_a_feed_over_the_size_cap_is_refused(
    store: Store, tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_FEED_BYTES", 1000)
    big = tmp_path / "big.rss.xml"
    big.write_bytes(RSS.read_bytes())
    report = ingest_feed(store, "groot", big, now=NOW)
    assert report.error is not None and "the feed is over 1000 bytes; skipped" in report.error
    report = ingest_feed(store, "groot", feed_server.url, now=NOW)
    assert report.error is not None and "the feed is over 1000 bytes; skipped" in report.error
    assert list_stories(store) == []


def test_an_entry_dated_after_it_was_read_is_dated_when_read_with_a_warning(
    store: Store, tmp_path: Path
) -> None:
    """A feed's date three days ahead made a story page say "Eerst gemeld" after the
    edition that carried it; wire text has long been clamped to its capture time."""
    ahead = "Sat, 24 Jan 2026 05:30:00 +0000"  # three days after NOW
    data = _rss(_item("Vooruit", "<p>NUUK (ANP) - Tekst.</p>", ahead), _item("Nu", "<p>Ook.</p>"))
    result = parse_feed(data, "f", captured_at=NOW)
    assert [(i.published_at, i.earliest) for i in result.items] == [
        (NOW, NOW),
        (datetime(2026, 1, 21, 5, 30, tzinfo=UTC), datetime(2026, 1, 21, 5, 30, tzinfo=UTC)),
    ]
    assert [str(w) for w in result.warnings] == [
        "f: entry 1 is dated 2026-01-24 05:30 UTC, after it was read (2026-01-21 06:50 UTC);"
        " dated when it was read"
    ]
    feed = tmp_path / "f.rss.xml"
    feed.write_bytes(data)
    report = ingest_feed(store, "f", feed, now=NOW)
    assert report.error is None and report.counts.new == 2
    assert max(s.published_at for s in list_stories(store) if s.published_at) == NOW
    assert any("after it was read" in w for w in report.warnings)
