"""The real parts in tests/support behave like the services they stand in for."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import python_http_client.exceptions as http_errors
import sqlalchemy as sa
from playwright.sync_api import Page
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail

from tests.support.browser import axe_violations, save_screenshot
from tests.support.postgres import PostgresServer
from tests.support.sendgrid_server import SendGridServer, mail_send_errors
from tests.support.smtp_server import SmtpServer

# --- PostgreSQL ---------------------------------------------------------------------


def test_postgres_url_reaches_a_real_server(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://digest@127.0.0.1:")
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
        dbname = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    engine.dispose()
    assert int(version) >= 150000
    assert dbname == "digest"


def test_postgres_server_process_is_not_root(postgres_server: PostgresServer) -> None:
    pid = int((postgres_server.datadir / "postmaster.pid").read_text().split()[0])
    status = Path(f"/proc/{pid}/status").read_text()
    real_uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    assert real_uid != "0"


@pytest.mark.parametrize("run", [1, 2])
def test_fresh_postgres_url_starts_empty(fresh_postgres_url: str, run: int) -> None:
    engine = sa.create_engine(fresh_postgres_url)
    with engine.begin() as conn:
        assert sa.inspect(conn).get_table_names() == []
        conn.execute(sa.text("CREATE TABLE left_behind (id int)"))
    engine.dispose()


def test_fresh_postgres_url_is_its_own_database(
    fresh_postgres_url: str, postgres_url: str, postgres_server: PostgresServer
) -> None:
    assert fresh_postgres_url != postgres_url
    name = fresh_postgres_url.rsplit("/", 1)[1]
    with postgres_server.connect() as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
    assert found == [(1,)]


def test_postgres_supports_skip_locked(fresh_postgres_url: str) -> None:
    engine = sa.create_engine(fresh_postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE slot (id int primary key)"))
        conn.execute(sa.text("INSERT INTO slot VALUES (1), (2)"))
    claim = sa.text("SELECT id FROM slot ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")
    with engine.connect() as first, engine.connect() as second:
        first_tx, second_tx = first.begin(), second.begin()
        assert first.execute(claim).scalar_one() == 1
        assert second.execute(claim).scalar_one() == 2
        first_tx.rollback()
        second_tx.rollback()
    engine.dispose()


# --- SendGrid ------------------------------------------------------------------------


def _client(server: SendGridServer, key: str = "SG.test") -> SendGridAPIClient:
    return SendGridAPIClient(api_key=key, host=server.url)


def _mail(*to: str) -> Mail:
    return Mail(
        from_email="digest@example.nl",
        to_emails=list(to),
        subject="Nieuwsbrief",
        html_content="<p>Hallo</p>",
        plain_text_content="Hallo",
    )


def test_sendgrid_accepts_mail_from_the_sendgrid_package(sendgrid_server: SendGridServer) -> None:
    response = _client(sendgrid_server).send(_mail("a@example.nl", "b@example.nl"))
    assert response.status_code == 202
    assert response.headers["X-Message-Id"]
    [request] = sendgrid_server.accepted
    assert request.headers["Authorization"] == "Bearer SG.test"
    assert request.body["subject"] == "Nieuwsbrief"
    assert sorted(sendgrid_server.recipients()) == ["a@example.nl", "b@example.nl"]
    assert sendgrid_server.invalid == []


def test_sendgrid_server_ignores_a_request_cut_off_mid_body(
    sendgrid_server: SendGridServer,
) -> None:
    """A sender killed between its headers and its body reached nobody: the look-alike
    must neither accept it nor count it as an invalid body (seen in the SIGKILL test)."""
    import socket
    import time
    from urllib.parse import urlsplit

    where = urlsplit(sendgrid_server.url)
    with socket.create_connection((where.hostname or "127.0.0.1", where.port or 80)) as sock:
        head = (
            "POST /v3/mail/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"personalizations": [')
    deadline = time.monotonic() + 1  # give the handler time to read to the cut
    while time.monotonic() < deadline and not sendgrid_server.invalid:
        time.sleep(0.02)
    response = _client(sendgrid_server).send(_mail("a@example.nl"))
    assert response.status_code == 202
    assert len(sendgrid_server.accepted) == 1 and sendgrid_server.invalid == []


def test_sendgrid_accepts_custom_args_object(sendgrid_server: SendGridServer) -> None:
    mail = _mail("a@example.nl")
    mail.custom_arg = CustomArg("edition", "ochtend-2024-06-01")
    assert _client(sendgrid_server).send(mail).status_code == 202
    [request] = sendgrid_server.accepted
    assert request.body["custom_args"] == {"edition": "ochtend-2024-06-01"}


def test_sendgrid_rejects_body_without_from(sendgrid_server: SendGridServer) -> None:
    body = _mail("a@example.nl").get()
    del body["from"]
    with pytest.raises(http_errors.BadRequestsError) as raised:
        _client(sendgrid_server).client.mail.send.post(request_body=body)
    assert b"from" in raised.value.body
    [request] = sendgrid_server.invalid
    assert "'from' is a required property" in request.errors[0]["message"]
    assert sendgrid_server.accepted == []


def test_sendgrid_rejects_1001_personalizations(sendgrid_server: SendGridServer) -> None:
    body = _mail("a@example.nl").get()
    body["personalizations"] = [{"to": [{"email": f"r{i}@example.nl"}]} for i in range(1001)]
    with pytest.raises(http_errors.BadRequestsError):
        _client(sendgrid_server).client.mail.send.post(request_body=body)
    [request] = sendgrid_server.invalid
    assert [e["field"] for e in request.errors] == ["personalizations"]
    body["personalizations"].pop()
    assert _client(sendgrid_server).client.mail.send.post(request_body=body).status_code == 202


def test_mail_send_errors_name_the_field() -> None:
    body: dict[str, Any] = _mail("a@example.nl").get()
    assert mail_send_errors(body) == []
    body["categories"] = [f"c{i}" for i in range(11)]
    body["personalizations"][0]["to"][0] = {"name": "zonder adres"}
    fields = [error["field"] for error in mail_send_errors(body)]
    assert fields == ["categories", "personalizations.0.to.0"]


def test_sendgrid_requires_a_bearer_key(sendgrid_server: SendGridServer) -> None:
    url = sendgrid_server.url + "/v3/mail/send"
    response = httpx.post(url, json=_mail("a@example.nl").get())
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "authorization required"
    sendgrid_server.api_key = "SG.right"
    with pytest.raises(http_errors.UnauthorizedError):
        _client(sendgrid_server, key="SG.wrong").send(_mail("a@example.nl"))
    assert _client(sendgrid_server, key="SG.right").send(_mail("a@example.nl")).status_code == 202
    assert sendgrid_server.recipients() == ["a@example.nl"]


def test_sendgrid_fail_next_answers_without_accepting(sendgrid_server: SendGridServer) -> None:
    sendgrid_server.fail_next(429, n=1, retry_after=2)
    sendgrid_server.fail_next(500)
    client = _client(sendgrid_server)
    with pytest.raises(http_errors.TooManyRequestsError) as raised:
        client.send(_mail("a@example.nl"))
    assert raised.value.headers["Retry-After"] == "2"
    with pytest.raises(http_errors.InternalServerError):
        client.send(_mail("a@example.nl"))
    assert client.send(_mail("a@example.nl")).status_code == 202
    assert [r.status for r in sendgrid_server.failures] == [429, 500]
    assert sendgrid_server.recipients() == ["a@example.nl"]


def test_sendgrid_fail_rate_with_retries_delivers_each_once(
    sendgrid_server: SendGridServer,
) -> None:
    sendgrid_server.fail_rate = 0.3
    client = _client(sendgrid_server)
    addresses = [f"r{i}@example.nl" for i in range(20)]
    for address in addresses:
        for _attempt in range(20):
            try:
                client.send(_mail(address))
                break
            except (http_errors.TooManyRequestsError, http_errors.InternalServerError):
                continue
    assert sendgrid_server.recipients() == addresses
    statuses = {r.status for r in sendgrid_server.failures}
    assert statuses and statuses <= {429, 500}


def test_sendgrid_sandbox_mode_answers_200_and_delivers_nothing(
    sendgrid_server: SendGridServer,
) -> None:
    body = _mail("a@example.nl").get()
    body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    response = _client(sendgrid_server).client.mail.send.post(request_body=body)
    assert response.status_code == 200
    assert len(sendgrid_server.sandboxed) == 1
    assert sendgrid_server.recipients() == []


# --- SMTP ------------------------------------------------------------------------------


def _message(to: str = "lezer@example.nl") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "digest@example.nl"
    message["To"] = to
    message["Subject"] = "Ochtendeditie — Groenland"
    message.set_content("Hallo lezer")
    return message


def test_smtp_server_records_plain_message(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
        client.send_message(_message())
    [received] = smtp_server.messages
    assert received.mail_from == "digest@example.nl"
    assert received.rcpt_tos == ["lezer@example.nl"]
    assert received.message["Subject"] == "Ochtendeditie — Groenland"
    assert received.message.get_content().strip() == "Hallo lezer"
    assert (received.login, received.tls) == (None, False)


def test_smtp_server_checks_optional_auth(smtp_server: SmtpServer) -> None:
    assert smtp_server.username and smtp_server.password
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(smtp_server.username, "wrong")
        client.login(smtp_server.username, smtp_server.password)
        client.send_message(_message())
    assert smtp_server.messages[0].login == smtp_server.username


def test_smtp_starttls_required_then_auth(smtp_server_starttls: SmtpServer) -> None:
    server = smtp_server_starttls
    assert server.tls_files and server.username and server.password
    with smtplib.SMTP(server.host, server.port) as client, pytest.raises(smtplib.SMTPSenderRefused):
        client.send_message(_message())
    with smtplib.SMTP(server.host, server.port) as client:
        client.starttls(context=server.tls_files.client_context())
        client.login(server.username, server.password)
        client.send_message(_message())
    [received] = server.messages
    assert (received.login, received.tls) == (server.username, True)


def test_smtp_ssl_verifies_against_test_ca(smtp_server_ssl: SmtpServer) -> None:
    server = smtp_server_ssl
    assert server.tls_files and server.username and server.password
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(server.host, server.port, context=ssl.create_default_context())
    context = ssl.create_default_context(cafile=str(server.tls_files.ca_cert))
    with smtplib.SMTP_SSL(server.host, server.port, context=context) as client:
        client.login(server.username, server.password)
        client.send_message(_message())
    assert [m.tls for m in server.messages] == [True]


def test_smtp_rejections_and_transient_failures(smtp_server: SmtpServer) -> None:
    smtp_server.reject("weg@example.nl")
    smtp_server.fail_next("451 4.3.0 Try again later")
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.send_message(_message("weg@example.nl"))
        with pytest.raises(smtplib.SMTPDataError) as raised:
            client.send_message(_message())
        assert raised.value.smtp_code == 451
        client.send_message(_message())
    assert smtp_server.recipients() == ["lezer@example.nl"]


# --- Browser ---------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Archief</title></head>
<body><main><h1>Ochtendeditie</h1><p>Nieuws uit Groenland.</p>{extra}</main></body></html>
"""


def test_static_page_in_chromium_is_accessible(
    page: Page, static_server: Any, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text(PAGE.format(extra=""), encoding="utf-8")
    page.goto(static_server(tmp_path) + "/index.html")
    assert page.locator("h1").inner_text() == "Ochtendeditie"
    shot = save_screenshot(page, "test_support-static-page")
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert axe_violations(page) == []


def test_axe_reports_an_image_without_alt(page: Page, static_server: Any, tmp_path: Path) -> None:
    extra = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    (tmp_path / "index.html").write_text(PAGE.format(extra=extra), encoding="utf-8")
    page.goto(static_server(tmp_path) + "/index.html")
    assert "image-alt" in [violation["id"] for violation in axe_violations(page)]


def test_every_test_on_the_database_server_carries_its_mark(pytestconfig: pytest.Config) -> None:
    """Through the server fixtures or the ``store`` parametrisation: ``-m "not
    postgres"`` must leave out every test that starts the server."""
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-m", "not postgres", "tests"]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=pytestconfig.rootpath,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ids = [line for line in collected.splitlines() if "::" in line]
    assert ids, collected
    assert not [i for i in ids if "postgres" in i.lower()], "unmarked PostgreSQL tests"
