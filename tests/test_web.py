"""The subscription web app over HTTP, in-process: sign-up with double opt-in,
signed links, preferences, one-click unsubscribe, the SendGrid webhook, and the
safety rules (CSRF, rate limits, no enumeration, security headers)."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from itsdangerous.timed import TimestampSigner
from sqlalchemy import create_engine, func, select
from starlette.exceptions import StarletteDeprecationWarning

from digest.classify.regions import Region
from digest.cli import main
from digest.config import PROJECT_ROOT, Config, config_from_dict
from digest.deliver import Backend, Batch, Outcome, Result
from digest.deliver.send import send_edition
from digest.store import Store
from digest.store.schema import webhook_events
from digest.store.subscribers import add_subscriber, get_subscriber, set_status
from digest.subscribers import Subscriber
from digest.tokens import Purpose, TokenSigner
from digest.web import RateLimits, create_app, security
from digest.web.manage import next_status
from digest.web.security import SlidingWindow, redact
from digest.web.webhook import PUBLIC_KEY_ENV, SIGNATURE_HEADER, TIMESTAMP_HEADER, status_for
from tests.support import free_port

with warnings.catch_warnings():  # starlette would rather have httpx2; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "web-test-secret-0123456789"
SIGNER = TokenSigner(SECRET)
NOW = datetime(2026, 1, 21, 9, 0, tzinfo=UTC)
REGIONS = (
    Region("groenland", "Groenland", ("GL",)),
    Region("zeeland", "Zeeland", keywords=("Zeeland",)),
    Region("friesland", "Friesland", keywords=("Friesland",)),
)
WEBHOOK_KEY = ec.generate_private_key(ec.SECP256R1())
WEBHOOK_PUBLIC = base64.b64encode(
    WEBHOOK_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()
REGIONS_FILE = PROJECT_ROOT / "config" / "regions.toml"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/(confirm|preferences|unsubscribe)/[A-Za-z0-9_.-]+")


class FakeClock:
    """The rate limiter's clock, moved by the test."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


class Site:
    """The app on a store, with its outbox, rate clock and a browser-like client."""

    def __init__(
        self,
        store: Store,
        tmp_path: Path,
        *,
        base_url: str = "http://testserver",
        limits: RateLimits | None = None,
        backend: Backend | None = None,
        config: Config | None = None,
    ) -> None:
        self.store = store
        self.config = config or web_config(tmp_path, base_url)
        self.outbox = self.config.resolve(self.config.delivery.outbox.dir)
        self.clock = FakeClock()
        self.app = create_app(
            self.config,
            store,
            signer=SIGNER,
            backend=backend,
            regions=REGIONS,
            limits=limits,
            environ={PUBLIC_KEY_ENV: WEBHOOK_PUBLIC},
            now=lambda: NOW,
            rate_clock=self.clock,
        )
        self.client = TestClient(self.app, base_url=base_url)

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        found = CSRF.search(page.text)
        assert found is not None
        return found.group(1)

    def sign_up(self, address: str, **fields: Any) -> Any:
        data = {"csrf": self.csrf(), "email": address, **fields}
        return self.client.post("/", data=data)

    def confirm(self, link: str) -> Any:
        """Open a confirmation link and press its one button, as a reader does."""
        page = self.client.get(link)
        found = CSRF.search(page.text)
        if page.status_code != 200 or found is None:
            return page
        return self.client.post(urlsplit(link).path, data={"csrf": found.group(1)})

    def mails(self) -> list[EmailMessage]:
        files = sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [read_mail(path) for path in files]


def web_config(tmp_path: Path, base_url: str = "http://testserver") -> Config:
    data = {"site": {"base_url": base_url}, "delivery": {"outbox": {"dir": "outbox"}}}
    return config_from_dict(data, tmp_path / "digest.toml")


def read_mail(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage, purpose: str) -> str:
    links = [m.group(0) for m in LINK.finditer(text_of(message)) if m.group(1) == purpose]
    assert links, f"no {purpose} link in {text_of(message)!r}"
    return links[0]


def active(store: Store, address: str, regions: frozenset[str] | None = None) -> Subscriber:
    return add_subscriber(store, address, regions=regions, status="active", now=NOW)


def token(purpose: Purpose, subscriber: Subscriber) -> str:
    return SIGNER.make(purpose, subscriber.id, subscriber.email)


def status_of(store: Store, address: str) -> str:
    found = get_subscriber(store, address)
    assert found is not None
    return found.status


@pytest.fixture
def site(sqlite_store: Store, tmp_path: Path) -> Iterator[Site]:
    made = Site(sqlite_store, tmp_path)
    yield made
    made.client.close()


# --- sign-up and confirmation ---------------------------------------------------


def test_sign_up_sends_a_confirmation_link_that_activates(site: Site) -> None:
    answer = site.sign_up("Anna@Example.org", name="Anna", regions=["zeeland", "groenland"])
    assert answer.status_code == 200
    assert "Kijk in je mailbox" in answer.text and 'lang="nl"' in answer.text
    pending = get_subscriber(site.store, "anna@example.org")
    assert pending is not None and pending.status == "pending"
    assert pending.regions == frozenset({"zeeland", "groenland"}) and pending.name == "Anna"
    [mail] = site.mails()
    assert mail["To"] == "Anna <anna@example.org>"
    assert mail["Subject"] == "Bevestig je aanmelding voor Digest"
    assert "Hallo Anna," in text_of(mail)
    confirmed = site.confirm(link_in(mail, "confirm"))
    assert confirmed.status_code == 200 and "Aanmelding bevestigd" in confirmed.text
    assert "Je volgt: Groenland, Zeeland." in confirmed.text
    assert status_of(site.store, "anna@example.org") == "active"
    again = site.client.get(link_in(mail, "confirm"))
    assert again.status_code == 200 and "Je bent al aangemeld" in again.text


def test_opening_the_confirmation_link_alone_confirms_nothing(site: Site) -> None:
    """Mail scanners fetch every link in a mail: the GET shows one button, only its
    POST (with the page's CSRF token) confirms."""
    site.sign_up("anna@example.org")
    [mail] = site.mails()
    link = link_in(mail, "confirm")
    for _ in range(3):
        page = site.client.get(link)
        assert page.status_code == 200 and "Mijn aanmelding bevestigen" in page.text
    assert page.text.count("<button") == 1 and 'method="post"' in page.text
    assert status_of(site.store, "anna@example.org") == "pending"
    forged = site.client.post(urlsplit(link).path, data={"csrf": "guessed"})
    assert forged.status_code == 403
    assert status_of(site.store, "anna@example.org") == "pending"
    assert site.confirm(link).status_code == 200
    assert status_of(site.store, "anna@example.org") == "active"


@pytest.mark.parametrize(
    "path", ["/healthz/", "/unsubscribe/X/", "/confirm/X/", "/static/digest.css/"]
)
def test_a_trailing_slash_is_not_redirected_by_the_host_header(site: Site, path: str) -> None:
    answer = site.client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers


def test_a_client_that_disconnects_mid_body_is_logged_quietly(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[dict[str, Any]] = []
    messages = [
        {"type": "http.request", "body": b"email=anna%40exa", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}  # type: ignore[return-value]

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-length", b"100"),
                    (b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    with caplog.at_level(logging.INFO):
        asyncio.run(site.app(scope, receive, send))  # type: ignore[arg-type]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("disconnected" in r.getMessage() for r in caplog.records)


def test_no_regions_ticked_means_all_the_news(site: Site) -> None:
    site.sign_up("bram@example.org")
    found = get_subscriber(site.store, "bram@example.org")
    assert found is not None and found.regions is None and found.name is None


def test_the_answer_is_the_same_for_new_and_known_addresses(site: Site) -> None:
    active(site.store, "known@example.org", frozenset({"zeeland"}))
    pages = {}
    for address in ("new@example.org", "known@example.org"):
        answer = site.sign_up(address, regions=["friesland"])
        pages[address] = (answer.status_code, answer.text.replace(address, "ADDRESS"))
    assert pages["new@example.org"] == pages["known@example.org"]
    first, second = site.mails()
    assert "/confirm/" in text_of(first)
    assert second["To"] == "known@example.org" and "Je bent al aangemeld" in second["Subject"]
    assert "/preferences/" in text_of(second) and "/confirm/" not in text_of(second)
    known = get_subscriber(site.store, "known@example.org")
    assert known is not None and (known.status, known.regions) == ("active", frozenset({"zeeland"}))


def test_a_left_subscriber_signs_up_again_through_confirmation(site: Site) -> None:
    left = active(site.store, "left@example.org")
    set_status(site.store, left.email, "unsubscribed", now=NOW)
    site.sign_up("left@example.org", regions=["groenland"])
    assert status_of(site.store, "left@example.org") == "unsubscribed"
    [mail] = site.mails()
    site.confirm(link_in(mail, "confirm"))
    back = get_subscriber(site.store, "left@example.org")
    assert back is not None and (back.status, back.regions) == ("active", frozenset({"groenland"}))


def test_an_invalid_address_shows_the_form_again_with_the_problem(site: Site) -> None:
    answer = site.sign_up("jan@localhost", name="Jan", regions=["zeeland"])
    assert answer.status_code == 422
    assert "Dit e-mailadres is niet geldig" in answer.text
    assert 'aria-invalid="true"' in answer.text and 'value="Jan"' in answer.text
    assert 'value="zeeland" checked' in answer.text
    assert site.mails() == [] and get_subscriber(site.store, "jan@localhost") is None


def test_an_unknown_region_is_refused(site: Site) -> None:
    answer = site.sign_up("jan@example.org", regions=["atlantis"])
    assert answer.status_code == 422 and "Kies regio's uit de lijst." in answer.text
    assert get_subscriber(site.store, "jan@example.org") is None


def test_mail_links_come_from_the_configured_base_url_not_the_host_header(site: Site) -> None:
    csrf = site.csrf()
    data = {"csrf": csrf, "email": "host@example.org"}
    site.client.post("/", data=data, headers={"Host": "evil.example"})
    [mail] = site.mails()
    assert link_in(mail, "confirm").startswith("http://testserver/confirm/")
    assert "evil.example" not in mail.as_string()


class RefusingBackend(Backend):
    name = "refusing"

    @classmethod
    def from_config(cls, config: Config) -> RefusingBackend:
        return cls()

    def send(self, batch: Batch) -> dict[int, Result]:
        return {to.subscriber_id: Result(Outcome.RETRY, "busy") for to in batch.recipients}


def test_a_mail_that_cannot_be_sent_says_so(sqlite_store: Store, tmp_path: Path) -> None:
    site = Site(sqlite_store, tmp_path, backend=RefusingBackend())
    answer = site.sign_up("busy@example.org")
    assert answer.status_code == 503 and "De e-mail kon niet worden verstuurd" in answer.text
    assert answer.headers["Retry-After"] == "60"


# --- safety -----------------------------------------------------------------------


def test_forms_without_the_right_csrf_token_are_refused(site: Site) -> None:
    subscriber = active(site.store, "anna@example.org")
    site.csrf()  # the session has a token; the posts below do not send it (or a wrong one)
    for data in ({}, {"csrf": "wrong"}, {"csrf": ""}):
        answer = site.client.post("/", data={**data, "email": "x@example.org"})
        assert answer.status_code == 403 and "Het formulier is verlopen" in answer.text
    prefs = f"/preferences/{token('preferences', subscriber)}"
    assert site.client.post(prefs, data={"action": "pause"}).status_code == 403
    leave = f"/unsubscribe/{token('unsubscribe', subscriber)}"
    assert site.client.post(leave, data={"csrf": "wrong"}).status_code == 403
    assert get_subscriber(site.store, "x@example.org") is None
    assert status_of(site.store, "anna@example.org") == "active"
    assert site.mails() == []


def test_a_post_from_another_site_is_refused_even_with_the_token(site: Site) -> None:
    data = {"csrf": site.csrf(), "email": "x@example.org"}
    answer = site.client.post("/", data=data, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    same = site.client.post("/", data=data, headers={"Origin": "http://testserver"})
    assert same.status_code == 200


def test_a_csrf_token_from_another_session_is_refused(site: Site) -> None:
    stolen = site.csrf()
    with TestClient(site.app, base_url="http://testserver") as other:
        other.get("/")  # its own session
        answer = other.post("/", data={"csrf": stolen, "email": "x@example.org"})
    assert answer.status_code == 403


def test_repeated_sign_ups_for_one_address_are_limited(site: Site) -> None:
    answers = [site.sign_up("anna@example.org") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.text for a in answers}) == 1  # the limit is not visible on the page
    assert len(site.mails()) == 3
    site.clock.value += 3601
    site.sign_up("anna@example.org")
    assert len(site.mails()) == 4


def test_sign_ups_from_one_client_are_limited(sqlite_store: Store, tmp_path: Path) -> None:
    site = Site(sqlite_store, tmp_path, limits=RateLimits(per_address=10, per_client=3))
    answers = [site.sign_up(f"reader{i}@example.org") for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "Te veel pogingen" in answers[-1].text
    assert get_subscriber(sqlite_store, "reader3@example.org") is None
    site.clock.value += 3601
    assert site.sign_up("reader3@example.org").status_code == 200


def test_the_sliding_window_forgets_hits_older_than_the_period() -> None:
    clock = FakeClock()
    window = SlidingWindow(2, 60.0, clock=clock)
    assert window.hit("a") == 0 and window.hit("a") == 0
    assert window.hit("a") == pytest.approx(60.0)
    assert window.hit("b") == 0
    clock.value += 30
    assert window.hit("a") == pytest.approx(30.0)
    clock.value += 30
    assert window.hit("a") == 0


def test_the_sliding_window_keeps_its_memory_bounded() -> None:
    clock = FakeClock()
    window = SlidingWindow(1, 60.0, clock=clock, max_keys=10)
    for i in range(100):
        window.hit(f"key{i}")
    assert len(window._hits) <= 10
    assert window.hit("key99") > 0  # the newest keys are kept


def test_every_response_carries_the_security_headers(site: Site) -> None:
    subscriber = active(site.store, "anna@example.org")
    answers = [
        site.client.get("/"),
        site.client.get("/healthz"),
        site.client.get("/static/digest.css"),
        site.client.get("/no/such/page"),
        site.client.get(f"/preferences/{token('preferences', subscriber)}"),
        site.client.get("/unsubscribe/forged"),
        site.client.post("/", data={"email": "x@example.org"}),
        site.client.post("/webhooks/sendgrid", content=b"[]"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 200, 400, 403, 403]
    for answer in answers:
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src" not in policy and "unsafe-inline" not in policy
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in answer.headers
    assert answers[0].headers["Cache-Control"] == "no-store"


def test_a_server_error_still_carries_the_headers(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(site.app.state.web, "verified", broken)
    with TestClient(site.app, raise_server_exceptions=False) as client:
        answer = client.get("/preferences/anything")
    assert answer.status_code == 500 and "Er ging iets mis" in answer.text
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(site: Site) -> None:
    page = site.client.get("/").text
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_https_sites_get_hsts_and_secure_cookies(sqlite_store: Store, tmp_path: Path) -> None:
    site = Site(sqlite_store, tmp_path, base_url="https://testserver")
    answer = site.client.get("/")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = answer.headers["Set-Cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_large_request_bodies_are_refused(site: Site) -> None:
    answer = site.client.post("/", content=b"email=" + b"x" * 100_000)
    assert answer.status_code == 413


def test_the_health_check_asks_the_database(site: Site, tmp_path: Path) -> None:
    assert site.client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    site.app.state.web.store = Store(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/x"))
    answer = site.client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "error", "database": "unavailable"}


def test_signed_links_are_kept_out_of_the_access_log() -> None:
    line = '"GET /unsubscribe/WzEsImEz.awJR.T1jP HTTP/1.1" and /preferences/abc?x=1'
    assert redact(line) == '"GET /unsubscribe/… HTTP/1.1" and /preferences/…?x=1'


def test_digest_serve_answers_and_keeps_links_out_of_its_log(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[site]\nbase_url = "http://127.0.0.1:{port}"\nregions = "{REGIONS_FILE}"\n'
        '[storage]\nurl = "sqlite:///digest.db"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "DIGEST_SECRET_KEY": SECRET}
    entry = "import sys; from digest.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", entry, "--config", str(config), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        health = wait_for(f"{url}/healthz", server)
        assert health.json() == {"status": "ok", "database": "ok"}
        assert httpx.get(f"{url}/unsubscribe/SECRET-TOKEN-123").status_code == 400
    finally:
        server.terminate()
        _, log = server.communicate(timeout=20)
    assert "GET /unsubscribe/… HTTP/1.1" in log and "400" in log
    assert "SECRET-TOKEN-123" not in log


def wait_for(url: str, server: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(url)
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    pytest.fail(f"digest serve did not answer at {url}: {server.communicate()[1]}")


def test_serve_refuses_to_start_without_the_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)
    config = tmp_path / "digest.toml"
    config.write_text('[storage]\nurl = "sqlite:///digest.db"\n', encoding="utf-8")
    shutil.copy(REGIONS_FILE, tmp_path / "regions.toml")  # every command checks both files
    assert main(["--config", str(config), "serve", "--port", "8999"]) == 1
    assert "DIGEST_SECRET_KEY is not set" in capsys.readouterr().err


# --- signed links -------------------------------------------------------------------


def old_token(purpose: Purpose, subscriber: Subscriber, age: timedelta, mp: Any) -> str:
    made_at = int(time.time() - age.total_seconds())
    with mp.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at)
        return token(purpose, subscriber)


def altered(value: str) -> str:
    """One character of the signature changed (not the last one: its low bits are padding)."""
    head, _, signature = value.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


BAD_LINKS = ["forged", "altered", "other address", "other purpose", "expired", "garbage"]


def bad_token(case: str, purpose: Purpose, anna: Subscriber, mp: pytest.MonkeyPatch) -> str:
    if case == "forged":
        return TokenSigner("another-secret-0123456789").make(purpose, anna.id, anna.email)
    if case == "altered":
        return altered(token(purpose, anna))
    if case == "other address":
        return SIGNER.make(purpose, anna.id, "bram@example.org")
    if case == "other purpose":
        return token("preferences" if purpose != "preferences" else "unsubscribe", anna)
    if case == "expired":
        return old_token(purpose, anna, timedelta(days=3 * 365), mp)
    return "not-a-token"


@pytest.mark.parametrize("case", BAD_LINKS)
@pytest.mark.parametrize("purpose", ["confirm", "preferences", "unsubscribe"])
def test_bad_links_are_refused_and_change_nothing(
    site: Site, case: str, purpose: Purpose, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = add_subscriber(site.store, "anna@example.org", now=NOW)  # pending
    active(site.store, "bram@example.org")
    bad = bad_token(case, purpose, anna, monkeypatch)
    answer = site.client.get(f"/{purpose}/{bad}")
    assert answer.status_code == 400 and "Deze link werkt niet" in answer.text
    if purpose == "unsubscribe":
        one_click = site.client.post(f"/unsubscribe/{bad}", data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 400
    assert status_of(site.store, "anna@example.org") == "pending"
    assert status_of(site.store, "bram@example.org") == "active"


def test_a_confirmation_link_expires_after_two_days(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = add_subscriber(site.store, "anna@example.org", now=NOW)
    late = old_token("confirm", anna, timedelta(days=2, hours=1), monkeypatch)
    assert site.client.get(f"/confirm/{late}").status_code == 400
    fresh = old_token("confirm", anna, timedelta(days=1, hours=23), monkeypatch)
    assert site.confirm(f"http://testserver/confirm/{fresh}").status_code == 200
    assert status_of(site.store, "anna@example.org") == "active"


def test_a_link_stops_working_when_the_subscriber_is_removed(site: Site) -> None:
    anna = active(site.store, "anna@example.org")
    link = f"/preferences/{token('preferences', anna)}"
    from digest.store.subscribers import remove_subscriber

    remove_subscriber(site.store, "anna@example.org")
    assert site.client.get(link).status_code == 400


# --- unsubscribe ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_at_once_without_a_page(site: Site, encoding: str) -> None:
    anna = active(site.store, "anna@example.org")
    url = f"/unsubscribe/{token('unsubscribe', anna)}"
    with TestClient(site.app, base_url="http://testserver") as mail_provider:  # no cookies
        if encoding == "multipart":
            answer = mail_provider.post(url, files={"List-Unsubscribe": (None, "One-Click")})
        else:
            answer = mail_provider.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and answer.content == b""
    gone = get_subscriber(site.store, "anna@example.org")
    assert gone is not None and gone.status == "unsubscribed" and gone.unsubscribed_at == NOW
    again = site.client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200


def test_the_unsubscribe_link_asks_first_then_unsubscribes(site: Site) -> None:
    anna = active(site.store, "anna@example.org")
    url = f"/unsubscribe/{token('unsubscribe', anna)}"
    page = site.client.get(url)
    assert page.status_code == 200 and page.text.count("<button") == 1
    assert "Afmelden voor Digest?" in page.text
    assert status_of(site.store, "anna@example.org") == "active"
    csrf = CSRF.search(page.text)
    assert csrf is not None
    done = site.client.post(url, data={"csrf": csrf.group(1)})
    assert done.status_code == 200 and "Je bent afgemeld" in done.text
    assert "/preferences/" in done.text
    assert status_of(site.store, "anna@example.org") == "unsubscribed"


# --- preferences ------------------------------------------------------------------


def test_preferences_change_regions_and_name(site: Site) -> None:
    anna = active(site.store, "anna@example.org", frozenset({"groenland"}))
    url = f"/preferences/{token('preferences', anna)}"
    page = site.client.get(url)
    assert page.status_code == 200 and 'value="groenland" checked' in page.text
    data = {"csrf": site.csrf(url), "action": "save", "name": "Anna B.", "regions": ["zeeland"]}
    saved = site.client.post(url, data=data)
    assert saved.status_code == 200 and "Je keuzes zijn opgeslagen." in saved.text
    changed = get_subscriber(site.store, "anna@example.org")
    assert changed is not None and (changed.regions, changed.name) == (
        frozenset({"zeeland"}),
        "Anna B.",
    )
    everything = site.client.post(url, data={**data, "regions": []})
    assert everything.status_code == 200
    assert (found := get_subscriber(site.store, "anna@example.org")) and found.regions is None
    unknown = site.client.post(url, data={**data, "regions": ["atlantis"]})
    assert unknown.status_code == 422
    assert (found := get_subscriber(site.store, "anna@example.org")) and found.regions is None


def test_sign_up_and_preferences_take_an_optional_first_name_for_the_greeting(site: Site) -> None:
    form = site.client.get("/")
    assert 'name="first_name"' in form.text and 'autocomplete="given-name"' in form.text
    site.sign_up("anna@example.org", name="Anna de Vries", first_name="Anneke")
    [mail] = site.mails()
    assert mail["To"] == "Anna de Vries <anna@example.org>"
    assert "Hallo Anneke," in text_of(mail)
    pending = get_subscriber(site.store, "anna@example.org")
    assert pending is not None and pending.first_name == "Anneke"
    too_long = site.sign_up("bram@example.org", first_name="B" * 61)
    assert too_long.status_code == 422 and "De voornaam is te lang" in too_long.text
    assert get_subscriber(site.store, "bram@example.org") is None
    anna = active(site.store, "carla@example.org", None)
    url = f"/preferences/{token('preferences', anna)}"
    data = {"csrf": site.csrf(url), "action": "save", "name": "Carla", "first_name": "Caro"}
    assert site.client.post(url, data=data).status_code == 200
    changed = get_subscriber(site.store, "carla@example.org")
    assert changed is not None and changed.first_name == "Caro"
    assert 'value="Caro"' in site.client.get(url).text
    cleared = site.client.post(url, data={**data, "first_name": ""})
    assert cleared.status_code == 200
    assert (found := get_subscriber(site.store, "carla@example.org")) and found.first_name is None


def test_preferences_pause_resume_and_unsubscribe(site: Site) -> None:
    anna = active(site.store, "anna@example.org")
    url = f"/preferences/{token('preferences', anna)}"
    csrf = site.csrf(url)
    steps = {"pause": "paused", "resume": "active", "unsubscribe": "unsubscribed"}
    for action, status in steps.items():
        answer = site.client.post(url, data={"csrf": csrf, "action": action})
        assert answer.status_code == 200
        assert status_of(site.store, "anna@example.org") == status
    back = site.client.post(url, data={"csrf": csrf, "action": "resume"})
    assert "Welkom terug" in back.text and status_of(site.store, "anna@example.org") == "active"
    assert site.client.post(url, data={"csrf": csrf, "action": "explode"}).status_code == 400


def test_status_changes_follow_the_buttons() -> None:
    assert next_status("active", "pause") == "paused"
    assert next_status("unsubscribed", "pause") is None
    assert next_status("complained", "resume") == "active"
    assert next_status("bounced", "unsubscribe") is None  # a stronger reason stays
    assert next_status("paused", "unsubscribe") == "unsubscribed"


def test_paused_subscribers_get_no_edition(sqlite_store: Store, tmp_path: Path) -> None:
    from tests.delivery_helpers import make_edition, record

    site = Site(sqlite_store, tmp_path)
    anna, bram = active(sqlite_store, "anna@example.org"), active(sqlite_store, "bram@example.org")
    url = f"/preferences/{token('preferences', anna)}"
    site.client.post(url, data={"csrf": site.csrf(url), "action": "pause"})
    edition = record(sqlite_store, make_edition())
    report = send_edition(sqlite_store, site.config, edition, now=NOW, signer=SIGNER)
    assert report.after.get("sent") == 1
    assert [m["To"] for m in site.mails()] == [bram.email]


# --- SendGrid event webhook ---------------------------------------------------------


STAMP = str(int(NOW.timestamp()))  # signed now: older requests are refused


def signed(
    events: Any, key: Any = WEBHOOK_KEY, stamp: str = STAMP, payload: bytes | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers SendGrid sends: ECDSA P-256/SHA-256 over timestamp + body."""
    payload = json.dumps(events).encode() if payload is None else payload
    signature = key.sign(stamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    headers = {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: stamp}
    return payload, {**headers, "Content-Type": "application/json"}


def event(address: str, kind: str, n: int, **extra: str) -> dict[str, Any]:
    return {"email": address, "event": kind, "sg_event_id": f"ev{n}", "timestamp": 1, **extra}


def events_seen(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(webhook_events)).scalar_one())


@pytest.fixture
def hook_site(store: Store, tmp_path: Path) -> Iterator[Site]:
    """The app on each backend (the webhook's dedupe writes)."""
    made = Site(store, tmp_path)
    yield made
    made.client.close()


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(hook_site: Site) -> None:
    active(hook_site.store, "anna@example.org")
    events = [event("anna@example.org", "spamreport", 1)]
    payload, headers = signed(events)
    other_key = ec.generate_private_key(ec.SECP256R1())
    attempts = [
        (payload, {}),
        (payload, {**headers, SIGNATURE_HEADER: "bm90IGEgc2lnbmF0dXJl"}),
        (payload, {**headers, SIGNATURE_HEADER: "%%%"}),
        (payload, {**headers, TIMESTAMP_HEADER: str(int(STAMP) + 1)}),
        (payload.replace(b"spamreport", b"unsubscribe"), headers),
        signed(events, other_key),
    ]
    for body, sent in attempts:
        answer = hook_site.client.post("/webhooks/sendgrid", content=body, headers=sent)
        assert answer.status_code == 403
    assert status_of(hook_site.store, "anna@example.org") == "active"
    assert events_seen(hook_site.store) == 0


def test_without_a_key_every_webhook_is_refused(sqlite_store: Store, tmp_path: Path) -> None:
    active(sqlite_store, "anna@example.org")
    app = create_app(web_config(tmp_path), sqlite_store, signer=SIGNER, regions=REGIONS, environ={})
    payload, headers = signed([event("anna@example.org", "bounce", 1)])
    with TestClient(app) as client:
        answer = client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 403
    assert status_of(sqlite_store, "anna@example.org") == "active"


def test_webhook_events_mark_subscribers_once(hook_site: Site) -> None:
    kinds = {
        "bounce@example.org": ("bounce", {"type": "bounce"}, "bounced"),
        "blocked@example.org": ("bounce", {"type": "blocked"}, "bounced"),
        "spam@example.org": ("spamreport", {}, "complained"),
        "leave@example.org": ("unsubscribe", {}, "unsubscribed"),
        "group@example.org": ("group_unsubscribe", {}, "unsubscribed"),
        "dropped@example.org": ("dropped", {"reason": "Bounced Address"}, "bounced"),
        "spamdrop@example.org": ("dropped", {"reason": "Spam Content"}, "active"),
        "opened@example.org": ("open", {}, "active"),
    }
    for address in kinds:
        active(hook_site.store, address)
    events = [event(a.upper(), k, n, **x) for n, (a, (k, x, _)) in enumerate(kinds.items())]
    events.append(event("stranger@example.org", "bounce", 99))
    payload, headers = signed(events)
    answer = hook_site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 200
    assert answer.json() == {"applied": 6, "duplicate": 0, "ignored": 3, "settled": 0}
    assert {a: status_of(hook_site.store, a) for a in kinds} == {
        a: status for a, (_, _, status) in kinds.items()
    }
    set_status(hook_site.store, "bounce@example.org", "active", now=NOW)  # signed up again
    repeat = hook_site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert repeat.json() == {"applied": 0, "duplicate": 7, "ignored": 2, "settled": 0}
    assert status_of(hook_site.store, "bounce@example.org") == "active"


def test_a_late_unsubscribe_event_does_not_hide_a_complaint(hook_site: Site) -> None:
    active(hook_site.store, "anna@example.org")
    payload, headers = signed(
        [event("anna@example.org", "spamreport", 1), event("anna@example.org", "unsubscribe", 2)]
    )
    hook_site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert status_of(hook_site.store, "anna@example.org") == "complained"


def test_a_webhook_body_that_is_not_a_list_of_events_is_a_bad_request(site: Site) -> None:
    for body, headers in (signed({"event": "bounce"}), signed("bounce")):
        answer = site.client.post("/webhooks/sendgrid", content=body, headers=headers)
        assert answer.status_code == 400


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(days=365), -timedelta(minutes=6)])
def test_a_signed_webhook_too_old_or_from_the_future_is_refused(
    hook_site: Site, age: timedelta
) -> None:
    active(hook_site.store, "anna@example.org")
    stamp = str(int((NOW - age).timestamp()))
    payload, headers = signed([event("anna@example.org", "bounce", 1)], stamp=stamp)
    answer = hook_site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 403
    assert status_of(hook_site.store, "anna@example.org") == "active"
    recent = str(int((NOW - timedelta(minutes=4)).timestamp()))
    payload, headers = signed([event("anna@example.org", "bounce", 1)], stamp=recent)
    answer = hook_site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 200
    assert status_of(hook_site.store, "anna@example.org") == "bounced"


@pytest.mark.parametrize("depth", [17, 1000, 100_000])
def test_a_deeply_nested_webhook_body_is_a_bad_request_not_a_crash(site: Site, depth: int) -> None:
    payload, headers = signed(None, payload=b"[" * depth + b"]" * depth)
    answer = site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 400
    strings = b'[{"email": "[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[[", "event": "open"}]'
    payload, headers = signed(None, payload=strings)
    answer = site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 200  # brackets inside strings do not count


def test_a_webhook_body_over_the_cap_is_refused_unread(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(security, "MAX_WEBHOOK_BODY", 1000)
    payload, headers = signed([event(f"a{n}@example.org", "open", n) for n in range(40)])
    assert len(payload) > 1000
    answer = site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield payload

    answer = site.client.post("/webhooks/sendgrid", content=chunks(), headers=headers)
    assert answer.status_code == 413


def test_drops_count_only_when_they_are_about_the_address() -> None:
    assert status_for({"event": "dropped", "reason": "Unsubscribed Address"}) == "unsubscribed"
    assert status_for({"event": "dropped", "reason": "Spam Reporting Address"}) == "complained"
    assert status_for({"event": "dropped", "reason": "Invalid SMTPAPI header"}) is None
    assert status_for({"event": "delivered"}) is None


def test_a_processed_event_settles_an_uncertain_delivery(hook_site: Site) -> None:
    from digest.deliver import ledger
    from tests.test_settle import EDITION, uncertain_rows

    (sid,) = uncertain_rows(hook_site.store, 1)
    processed = {"event": "processed", "edition_id": EDITION, "subscriber_id": str(sid)}
    payload, headers = signed([{**event("reader000000@example.org", "processed", 1), **processed}])
    answer = hook_site.client.post("/webhooks/sendgrid", content=payload, headers=headers)
    assert answer.status_code == 200 and answer.json()["settled"] == 1
    assert ledger.counts(hook_site.store, EDITION) == {"sent": 1}


# --- the archive under [archive] base_url ---------------------------------------------------


def test_serve_answers_the_archive_under_the_path_of_its_base_url(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The default config links to http://localhost:8000/archief, where serve said 404."""
    from starlette.testclient import TestClient

    live = tmp_path / "generations" / "a"
    (live / "2026/01/21/ochtend").mkdir(parents=True)
    (live / "index.html").write_text("<p>Edities</p>", encoding="utf-8")
    (live / "2026/01/21/ochtend/index.html").write_text("<p>Ochtend</p>", encoding="utf-8")
    (live / "404.html").write_text("<p>Niet gevonden</p>", encoding="utf-8")
    (tmp_path / "archive").symlink_to(live)  # publish swaps a link like this one
    data = {
        "site": {"base_url": "http://testserver"},
        "archive": {"dir": "archive", "base_url": "http://testserver/archief"},
    }
    config = config_from_dict(data, tmp_path / "digest.toml")
    app = create_app(config, sqlite_store, signer=TokenSigner(SECRET), regions=REGIONS)
    with TestClient(app) as client:
        front = client.get("/archief/")
        assert front.status_code == 200 and "Edities" in front.text
        assert "script-src 'self'" in front.headers["content-security-policy"]
        page = client.get("/archief/2026/01/21/ochtend/index.html")
        assert page.status_code == 200 and "Ochtend" in page.text
        assert client.get("/archief/nergens/").status_code == 404
        moved = client.get(
            "/archief/2026/01/21/ochtend", headers={"host": "evil.example"}, follow_redirects=False
        )
        assert moved.status_code in (307, 308)
        assert moved.headers["location"] == "/archief/2026/01/21/ochtend/"  # not evil.example
        assert client.get("/").status_code == 200  # the sign-up page is still at the root
        assert "script-src" not in client.get("/").headers["content-security-policy"]
        newer = tmp_path / "generations" / "b"
        newer.mkdir()
        (newer / "index.html").write_text("<p>Nieuwe generatie</p>", encoding="utf-8")
        (tmp_path / "archive").unlink()
        (tmp_path / "archive").symlink_to(newer)
        assert "Nieuwe generatie" in client.get("/archief/").text  # follows each swap
