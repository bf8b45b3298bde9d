"""SendGrid delivery with the real ``sendgrid`` package against the local look-alike,
which checks every body against SendGrid's own description of the API."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from digest.deliver import Addressee, ledger
from digest.deliver.send import RetryPolicy, send_edition
from digest.deliver.sendgrid import (
    API_KEY_ENV,
    SendGridBackend,
    new_nonce,
    retry_after,
    substitutions,
    tag,
    tagged,
)
from digest.errors import DeliveryError
from digest.model import Edition
from digest.render.environment import MARKERS
from digest.render.outputs import RenderedEdition, personalise
from digest.store import Store
from digest.store.subscribers import add_subscriber, list_subscribers
from tests.delivery_helpers import SIGNER, SLOT, add_readers, make_config, make_edition, record
from tests.support import free_port
from tests.support.sendgrid_server import SendGridServer

FAST = RetryPolicy(base=0.001)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "SG.test-key")


@pytest.fixture
def edition(sqlite_store: Store) -> Edition:
    return record(sqlite_store, make_edition())


def sendgrid_config(tmp: Path, server: SendGridServer, **settings: Any) -> Any:
    return make_config(tmp, backend="sendgrid", sendgrid={"host": server.url, **settings})


def wanted(store: Store) -> list[str]:
    """Addresses of readers with news: everyone but those who chose limburg only."""
    return sorted(s.email for s in list_subscribers(store) if s.regions != frozenset({"limburg"}))


@pytest.mark.slow
def test_three_thousand_readers_each_accepted_once_despite_failures(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 3000)
    sendgrid_server.fail_rate = 0.2  # 429 (Retry-After: 0) and 500, seeded
    config = sendgrid_config(tmp_path, sendgrid_server, batch_size=50)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=FAST)
    assert sendgrid_server.invalid == []
    statuses = {r.status for r in sendgrid_server.failures}
    assert statuses == {429, 500} and len(sendgrid_server.failures) >= 8
    assert report.retries == len(sendgrid_server.failures)
    assert sorted(sendgrid_server.recipients()) == wanted(sqlite_store)  # each exactly once
    assert report.after == {"sent": 2812, "skipped": 188}
    assert report.renders == 30  # 15 region choices with news x 2 locales
    assert all(len(r.body["personalizations"]) <= 50 for r in sendgrid_server.accepted)


def test_the_request_body(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_subscriber(
        sqlite_store, "anna@example.org", name="Anna <&> Jansen", status="active", now=SLOT
    )
    add_subscriber(sqlite_store, "bram@example.org", status="active", now=SLOT)
    config = sendgrid_config(tmp_path, sendgrid_server, asm_group_id=321)
    send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert sendgrid_server.invalid == []
    ((request),) = sendgrid_server.accepted
    body = request.body
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert body["from"] == {"email": "digest@example.org", "name": "Digest"}
    assert body["categories"] == ["digest", "ochtend"]
    assert body["asm"] == {"group_id": 321}
    assert body["mail_settings"] == {"sandbox_mode": {"enable": False}}
    assert body["headers"] == {"List-Id": "Digest <ochtend.example.org>"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    anna, bram = body["personalizations"]
    assert anna["to"] == [{"email": "anna@example.org", "name": "Anna <&> Jansen"}]
    assert bram["to"] == [{"email": "bram@example.org"}]
    assert anna["custom_args"] == {"edition_id": edition.id, "subscriber_id": "1"}
    headers = anna["headers"]
    assert headers["List-Unsubscribe"].startswith("<https://news.example.org/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"] == f"<{edition.id}.1@example.org>"
    subs = anna["substitutions"]
    (nonce,) = {key.split("-")[1] for key in subs}  # one random part per request
    assert len(nonce) == 16 and set(bram["substitutions"]) == set(subs)
    assert subs[tag("name", "html", nonce)] == " Anna"  # the greeting names the first word
    assert subs[tag("name", "text", nonce)] == " Anna"
    assert bram["substitutions"][tag("name", "text", nonce)] == ""
    unsubscribe = headers["List-Unsubscribe"][1:-1]
    assert subs[tag("unsubscribe_url", "text", nonce)] == unsubscribe
    text, page = body["content"][0]["value"], body["content"][1]["value"]
    for key in subs:
        assert key in (page if key.endswith("-html%") else text)
    assert "\ue000" not in text + page  # no marker left unreplaced


def test_retry_after_is_honoured(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 3)
    sendgrid_server.fail_next(429, retry_after=7)
    slept: list[float] = []
    policy = RetryPolicy(base=0.001, sleep=slept.append)
    config = sendgrid_config(tmp_path, sendgrid_server)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=policy)
    assert slept == [7.0] and report.after == {"sent": 3}
    assert retry_after("12") == 12.0 and retry_after(None) is None


def test_backoff_grows_with_jitter_and_then_gives_up(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 1)
    sendgrid_server.fail_next(503, n=4)
    slept: list[float] = []
    policy = RetryPolicy(max_retries=3, base=1.0, cap=60.0, sleep=slept.append)
    config = sendgrid_config(tmp_path, sendgrid_server)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=policy)
    assert len(slept) == 3 and all(0 <= s <= 2**i for i, s in enumerate(slept))
    assert report.after == {"failed": 1} and sendgrid_server.accepted == []
    assert report.problems[0][2].startswith(
        f"gave up after 4 attempts: SendGrid at {sendgrid_server.url} answered 503"
    )
    again = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=policy)
    assert again.after == {"sent": 1}  # the next run retries what failed


def test_a_refused_batch_fails_with_the_providers_message(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 3)
    config = sendgrid_config(tmp_path, sendgrid_server)
    backend = SendGridBackend.from_config(config)
    original = backend.send

    def with_bad_reply_to(batch: Any) -> Any:
        """Send one body SendGrid must refuse (no subject, a bad address)."""
        backend.settings = backend.settings.model_copy(update={"asm_group_id": "x"})
        return original(batch)

    backend.send = with_bad_reply_to  # type: ignore[method-assign]
    report = send_edition(
        sqlite_store, config, edition, now=SLOT, signer=SIGNER, backend=backend, retry=FAST
    )
    # three readers in three segments: three requests, none retried
    assert len(sendgrid_server.invalid) == 3 and len(sendgrid_server.requests) == 3
    assert report.after == {"failed": 3}
    reason = report.problems[0][2]
    assert reason.startswith(f"SendGrid at {sendgrid_server.url} refused the batch (400): ")
    assert "(asm.group_id)" in reason


def test_a_refused_key_stops_the_run(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 3)
    sendgrid_server.api_key = "SG.the-right-one"
    config = sendgrid_config(tmp_path, sendgrid_server)
    with pytest.raises(DeliveryError, match=f"refused the API key \\(401.*{API_KEY_ENV}"):
        send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    # the first batch failed with the message; the run stopped before the others
    assert ledger.counts(sqlite_store, edition.id) == {"failed": 1, "pending": 2}


def test_no_key_no_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_ENV)
    with pytest.raises(DeliveryError, match=f"{API_KEY_ENV} is not set"):
        SendGridBackend.from_config(make_config(tmp_path, backend="sendgrid"))


def test_a_timeout_is_uncertain_and_resent_only_when_asked(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 1)
    sendgrid_server.delay = 0.6
    config = sendgrid_config(tmp_path, sendgrid_server, timeout=0.2)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=FAST)
    # waiting for SendGrid's events (or the one resend after the wait): not a failure
    assert report.after == {"uncertain": 1} and report.waiting == 1 and report.ok
    assert "no answer from SendGrid" in report.problems[0][2]
    deadline = time.monotonic() + 10
    while not sendgrid_server.accepted and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow request is accepted after all
    sendgrid_server.delay = 0
    again = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert again.sent == 0 and again.after == {"uncertain": 1}
    resent = send_edition(
        sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry_uncertain=True
    )
    assert resent.after == {"sent": 1}
    # so the reader got it twice, as documented, both copies with one Message-ID
    first, second = (r.body["personalizations"][0] for r in sendgrid_server.accepted)
    assert first["headers"]["Message-ID"] == second["headers"]["Message-ID"]
    assert len(sendgrid_server.recipients()) == 2


def test_an_unreachable_host_is_retried_then_failed(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 2)
    settings = {"host": f"http://127.0.0.1:{free_port()}", "timeout": 2}
    config = make_config(tmp_path, backend="sendgrid", sendgrid=settings)
    policy = RetryPolicy(max_retries=1, base=0.001)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=policy)
    assert report.after == {"failed": 2}
    assert "cannot be reached" in report.problems[0][2]


def test_sandbox_mode_validates_without_using_up_the_ledger(
    sqlite_store: Store, edition: Edition, sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 3)
    sandbox = sendgrid_config(tmp_path, sendgrid_server, sandbox=True)
    report = send_edition(sqlite_store, sandbox, edition, now=SLOT, signer=SIGNER)
    assert report.sandboxed == 3 and report.after == {"sandbox": 3}
    assert "sandbox mode" in report.summary()
    assert len(sendgrid_server.sandboxed) == 3 and sendgrid_server.accepted == []
    real = sendgrid_config(tmp_path, sendgrid_server)
    assert send_edition(sqlite_store, real, edition, now=SLOT, signer=SIGNER).sent == 3
    assert len(sendgrid_server.recipients()) == 3


@pytest.mark.parametrize("first_name", [None, "Jan Willem", "<b>Anneke</b>"])
@pytest.mark.parametrize(
    "name", ["Anna", None, "", 'A <&> "B" \u00e9', "x\r\nBcc: y", "  ", " Anna  de Vries "]
)
def test_substitutions_fill_in_what_personalise_would(
    name: str | None, first_name: str | None
) -> None:
    markers = [f"\ue000{m}\ue001" for m in MARKERS]
    probe = RenderedEdition("e", "nl", "s", "p", "|".join(markers), "|".join(markers), "")
    to = Addressee(
        1,
        "a@example.org",
        name,
        "https://news.example.org/unsubscribe/a.b.c?x=1&y=2",
        "https://news.example.org/preferences/d.e.f",
        "<https://news.example.org/unsubscribe/a.b.c>",
        "<e.1@example.org>",
        first_name,
    )
    filled = personalise(
        probe,
        name=name,
        first_name=first_name,
        unsubscribe_url=to.unsubscribe_url,
        preferences_url=to.preferences_url,
    )
    values = substitutions(to, "n0nce")
    for part, content in (("html", filled.html), ("text", filled.text)):
        assert "|".join(values[tag(m, part, "n0nce")] for m in MARKERS) == content
    assert tagged(probe.text, "text", "n0nce") == "|".join(tag(m, "text", "n0nce") for m in MARKERS)


@pytest.mark.parametrize(
    "forged", ["%digest-unsubscribe_url-html%", "%digest-name-text%", "%digest-name-html%"]
)
def test_content_cannot_spell_a_substitution_tag(
    sqlite_store: Store, sendgrid_server: SendGridServer, tmp_path: Path, forged: str
) -> None:
    """A brief saying a tag reaches the request as text no tag matches, so SendGrid
    leaves it alone instead of filling in each recipient's values."""
    edition = make_edition()
    first = edition.sections[0].briefs[0]
    story = replace(first.story, text=f"Klik {forged} en {forged.upper()} nu.")
    section = replace(edition.sections[0], briefs=(replace(first, story=story),))
    edition = record(sqlite_store, replace(edition, sections=(section,)))
    add_subscriber(sqlite_store, "anna@example.org", name="Anna", status="active", now=SLOT)
    send_edition(sqlite_store, sendgrid_config(tmp_path, sendgrid_server), edition, now=SLOT,
                 signer=SIGNER)  # fmt: skip
    assert sendgrid_server.invalid == []
    ((request),) = sendgrid_server.accepted
    content = " ".join(c["value"] for c in request.body["content"])
    tags = request.body["personalizations"][0]["substitutions"]
    for key, value in tags.items():  # what SendGrid does for this recipient
        content = content.replace(key, value)
    assert f"Klik {forged} en {forged.upper()} nu." in content


def test_each_request_has_its_own_tags() -> None:
    assert new_nonce("x") != new_nonce("x")
    assert all(n not in "ab" * 100 for n in (new_nonce("ab" * 100) for _ in range(20)))
