"""``[[sources]] url = ...`` for HTML pages and wire text as well as feeds (issue 15):
a conditional GET with a polite User-Agent, a timeout and a size cap, against a
local HTTP server; the page is read as a browser user reads it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest.ingest import fetch
from digest.ingest.feeds import ingest_feed
from digest.store import Store, open_store
from digest.store.stories import list_stories

SITES = Path(__file__).parent / "data" / "sites"
NOW = datetime(2026, 1, 19, 13, 0, tzinfo=UTC)


@dataclass
class Site:
    body: bytes
    etag: str = '"p1"'
    kind: str = "text/html; charset=utf-8"
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site((SITES / "caption_site.html").read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(dict(self.headers.items()))
            if self.headers.get("If-None-Match") == state.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", state.kind)
            self.send_header("ETag", state.etag)
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/nieuws/buitenland"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    yield opened
    opened.close()


def test_an_html_page_url_is_read_for_its_items_then_fetched_conditionally(
    store: Store, site: Site
) -> None:
    first = ingest_feed(store, "buitenland", site.url, now=NOW)
    assert first.error is None and first.counts.new == 2, first
    stored = list_stories(store)
    assert {s.dateline for s in stored} == {"TEHERAN/MADRID", "BRUSSEL"}
    for story in stored:
        assert "Accepteren" not in story.text and "Privacy" not in story.text
    assert site.requests[0]["User-Agent"].startswith("digest/")
    again = ingest_feed(store, "buitenland", site.url, now=NOW)
    assert again.not_modified
    assert site.requests[1]["If-None-Match"] == '"p1"'


def test_a_wire_text_url_is_read_too(store: Store, site: Site) -> None:
    site.body = (SITES / "stripped_site.txt").read_bytes()
    site.kind = "text/plain; charset=utf-8"
    report = ingest_feed(store, "tekst", site.url, now=NOW)
    assert report.error is None and report.counts.new == 2


def test_a_page_over_the_size_cap_is_refused_by_url(
    store: Store, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_FEED_BYTES", 1000)
    report = ingest_feed(store, "groot", site.url, now=NOW)
    assert report.error is not None and site.url in report.error and "1000 bytes" in report.error
