"""Fetching feeds over HTTP: a conditional GET that remembers each URL's ETag and
Last-Modified in ``feed_state``, with a timeout and a size cap. The HTTP edge of
:mod:`digest.ingest.feeds`; every failure is a SourceError naming the URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from digest import __version__
from digest.errors import SourceError
from digest.store import Store, upsert_insert
from digest.store.schema import feed_state

if TYPE_CHECKING:
    import httpx

FETCH_TIMEOUT = 30.0
#: A feed is a few hundred KB; parsing takes about a second per MB, so more is refused.
MAX_FEED_BYTES = 8 * 1024 * 1024
#: Polite: names the tool, and that it reads on a schedule (every source's ``every``).
USER_AGENT = f"digest/{__version__} (+news digest; scheduled reader of feeds and pages)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed's bytes, or ``None`` when the server said it had not changed (304)."""

    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None


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
    insert_into = upsert_insert(store.dialect)
    assert insert_into is not None, "feeds are stored in SQLite or PostgreSQL"
    upsert = insert_into(feed_state).values(**values)
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
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
        "text/html;q=0.8, text/plain;q=0.8, */*;q=0.5",
    }
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    import httpx  # imported here, not with the module: a run on files never loads it

    try:
        with client.stream(
            "GET", url, headers=headers, timeout=timeout, follow_redirects=True
        ) as response:
            return _answer(url, response, known)
    except httpx.TimeoutException as exc:
        raise SourceError(f"{url}: no answer within {timeout:g} s; try again later") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"{url}: cannot be fetched ({exc}); check the URL") from exc


def _answer(url: str, response: httpx.Response, known: Fetched) -> Fetched:
    """What a response says; a 200 with the validator we sent counts as unchanged
    (some servers ignore conditional requests), and the body is read only up to
    :data:`MAX_FEED_BYTES`."""
    if response.status_code == 304:
        return Fetched(None, known.etag, known.last_modified)
    if response.status_code != 200:
        raise SourceError(
            f"{url}: answered HTTP {response.status_code} {response.reason_phrase}; check the URL"
        )
    etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    if (etag and etag == known.etag) or (not etag and modified and modified == known.last_modified):
        return Fetched(None, known.etag, known.last_modified)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_FEED_BYTES:
            raise SourceError(f"{url}: the feed is over {MAX_FEED_BYTES} bytes; skipped")
    return Fetched(bytes(body), etag, modified)
