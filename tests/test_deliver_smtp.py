"""SMTP delivery against real aiosmtpd servers: TLS, login, reuse, retries, uncertainty."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from digest.deliver import ledger
from digest.deliver.send import RetryPolicy, send_edition
from digest.deliver.smtp import PASSWORD_ENV, SmtpBackend
from digest.errors import DeliveryError
from digest.model import Edition
from digest.store import Store
from digest.store.subscribers import list_subscribers
from tests.delivery_helpers import SIGNER, SLOT, add_readers, make_config, make_edition, record
from tests.support import free_port
from tests.support.smtp_server import SmtpServer

FAST = RetryPolicy(base=0.001)


@pytest.fixture
def edition(sqlite_store: Store) -> Edition:
    return record(sqlite_store, make_edition())


def smtp_config(tmp: Path, server: SmtpServer, **smtp: Any) -> Any:
    settings = {"host": server.host, "port": server.port, "security": server.security, **smtp}
    return make_config(tmp, backend="smtp", smtp=settings)


def wanted(store: Store) -> list[str]:
    """Addresses of readers with news: everyone but those who chose limburg only."""
    return sorted(s.email for s in list_subscribers(store) if s.regions != frozenset({"limburg"}))


def flaky(server: SmtpServer, rate: float, seed: int = 3) -> Counter[str]:
    """Answer DATA with 451 (try later) or 421 (closing) at ``rate``, seeded;
    the counter says how often each was answered."""
    rng = random.Random(seed)
    accept = server.handler.handle_DATA
    answered: Counter[str] = Counter()

    async def handle_data(*args: Any) -> str:
        if rng.random() < rate:
            reply = rng.choice(["451 4.3.0 Try again later", "421 4.3.2 Closing, try later"])
            answered[reply[:3]] += 1
            return reply
        return str(await accept(*args))

    server.handler.handle_DATA = handle_data  # type: ignore[method-assign,assignment]
    return answered


def count_connections(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened = [0]
    connect = SmtpBackend._connect

    def counting(self: SmtpBackend) -> Any:
        opened[0] += 1
        return connect(self)

    monkeypatch.setattr(SmtpBackend, "_connect", counting)
    return opened


@pytest.mark.slow
def test_three_thousand_readers_each_get_one_mail_despite_failures(  # ~40 s: aiosmtpd in-process
    sqlite_store: Store,
    edition: Edition,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_readers(sqlite_store, 3000)
    refused = flaky(smtp_server, 0.2)
    opened = count_connections(monkeypatch)
    config = smtp_config(tmp_path, smtp_server)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=FAST)
    received = smtp_server.recipients()
    assert sorted(received) == wanted(sqlite_store)  # everyone once, no one twice
    assert report.after == {"sent": len(received), "skipped": 188}
    assert refused["451"] > 200 and refused["421"] > 200
    assert report.retries == refused.total()
    assert opened[0] == 1 + refused["421"]  # one connection, reopened only after each 421
    ids = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert len(ids) == len(received)


def test_starttls_with_login_reuses_one_connection(
    sqlite_store: Store,
    edition: Edition,
    smtp_server_starttls: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server_starttls
    assert server.tls_files is not None and server.password is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(server.tls_files.ca_cert))
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    add_readers(sqlite_store, 20)
    opened = count_connections(monkeypatch)
    config = smtp_config(tmp_path, server, username=server.username)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert report.sent == 19 and opened[0] == 1
    assert sorted(server.recipients()) == wanted(sqlite_store)
    assert all(m.tls and m.login == server.username for m in server.messages)
    msg = server.messages[0].message
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert server.messages[0].mail_from == "digest@example.org"


def test_implicit_tls(
    sqlite_store: Store,
    edition: Edition,
    smtp_server_ssl: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server_ssl
    assert server.tls_files is not None and server.password is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(server.tls_files.ca_cert))
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    add_readers(sqlite_store, 3)
    config = smtp_config(tmp_path, server, username=server.username)
    assert send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER).sent == 3
    assert all(m.tls for m in server.messages)


def test_a_refused_login_stops_the_run_and_names_the_variable(
    sqlite_store: Store,
    edition: Edition,
    smtp_server_starttls: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server_starttls
    assert server.tls_files is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(server.tls_files.ca_cert))
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    add_readers(sqlite_store, 3)
    config = smtp_config(tmp_path, server, username=server.username)
    with pytest.raises(DeliveryError, match=f"refused the login of 'digest'.*{PASSWORD_ENV}"):
        send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert server.messages == []


def test_a_username_without_password_is_refused_before_connecting(
    smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    config = smtp_config(tmp_path, smtp_server, username="digest", allow_plaintext_login=True)
    with pytest.raises(DeliveryError, match=f"{PASSWORD_ENV} is not set"):
        SmtpBackend.from_config(config)


def test_no_login_over_a_connection_without_tls_unless_allowed(
    sqlite_store: Store,
    edition: Edition,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_readers(sqlite_store, 2)
    monkeypatch.setenv(PASSWORD_ENV, smtp_server.password or "")
    config = smtp_config(tmp_path, smtp_server, username=smtp_server.username)
    with pytest.raises(DeliveryError, match=r"would log in over security = \"none\""):
        SmtpBackend.from_config(config)
    with pytest.raises(DeliveryError, match="allow_plaintext_login = true"):
        send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert smtp_server.messages == []
    allowed = smtp_config(
        tmp_path, smtp_server, username=smtp_server.username, allow_plaintext_login=True
    )
    report = send_edition(sqlite_store, allowed, edition, now=SLOT, signer=SIGNER)
    assert report.sent == 2
    assert all(m.login == smtp_server.username and not m.tls for m in smtp_server.messages)


def test_an_unreachable_server_is_named(
    sqlite_store: Store, edition: Edition, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 2)
    port = free_port()  # nothing listens there
    settings = {"host": "127.0.0.1", "port": port, "security": "none"}
    config = make_config(tmp_path, backend="smtp", smtp=settings)
    with pytest.raises(DeliveryError, match=f"SMTP server 127.0.0.1:{port} .*cannot be reached"):
        send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert ledger.counts(sqlite_store, edition.id) == {"pending": 2}


def test_a_refused_recipient_fails_alone_and_is_retried_next_run(
    sqlite_store: Store, edition: Edition, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 6)
    smtp_server.reject("reader000002@example.org")
    config = smtp_config(tmp_path, smtp_server)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=FAST)
    assert report.after == {"sent": 4, "failed": 1, "skipped": 1}
    ((address, status, reason),) = report.problems
    assert (address, status) == ("reader000002@example.org", "failed")
    assert reason.startswith("SMTP server refused the recipient reader000002@example.org: 550")
    smtp_server.handler.reject_recipients.clear()
    again = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=FAST)
    assert again.sent == 1 and again.after == {"sent": 5, "skipped": 1}
    assert sorted(smtp_server.recipients()) == wanted(sqlite_store)


def test_too_many_temporary_refusals_fail_with_the_reason(
    sqlite_store: Store, edition: Edition, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 1)
    smtp_server.fail_next("452 4.3.1 Insufficient storage", n=3)
    config = smtp_config(tmp_path, smtp_server)
    slept: list[float] = []
    policy = RetryPolicy(max_retries=2, base=0.001, sleep=slept.append)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry=policy)
    assert report.after == {"failed": 1} and len(slept) == 2
    assert report.problems[0][2] == (
        "gave up after 3 attempts: SMTP server refused the message: 452 4.3.1 Insufficient storage"
    )


def slow_data(server: SmtpServer, seconds: float) -> Callable[[], None]:
    """Accept DATA only after ``seconds``: the client times out first, yet the mail arrives."""
    accept = server.handler.handle_DATA

    async def handle_data(*args: Any) -> str:
        await asyncio.sleep(seconds)
        return str(await accept(*args))

    server.handler.handle_DATA = handle_data  # type: ignore[method-assign,assignment]

    def restore() -> None:
        server.handler.handle_DATA = accept  # type: ignore[method-assign]

    return restore


def test_a_lost_answer_is_uncertain_and_resent_only_when_asked(
    sqlite_store: Store, edition: Edition, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_readers(sqlite_store, 1)
    restore = slow_data(smtp_server, 0.6)
    config = smtp_config(tmp_path, smtp_server, timeout=0.3)
    report = send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER)
    assert report.after == {"uncertain": 1} and report.uncertain == 1
    assert "no answer from SMTP server" in report.problems[0][2]
    restore()
    assert send_edition(sqlite_store, config, edition, now=SLOT, signer=SIGNER).sent == 0
    resend = send_edition(
        sqlite_store, config, edition, now=SLOT, signer=SIGNER, retry_uncertain=True
    )
    assert resend.sent == 1 and resend.after == {"sent": 1}
    # whether the server kept the first copy after the client gave up is exactly
    # what cannot be known; a second copy, if any, is recognisably the same mail
    copies = {m.message["Message-ID"] for m in smtp_server.messages}
    assert len(smtp_server.messages) in (1, 2) and len(copies) == 1
