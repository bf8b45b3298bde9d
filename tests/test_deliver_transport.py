"""The kept-alive transport under the ``sendgrid`` client, against the look-alike."""

from __future__ import annotations

import http.client
from typing import Any

import pytest
from python_http_client.exceptions import BadRequestsError, UnauthorizedError
from sendgrid import SendGridAPIClient

from digest.deliver.transport import KeptAlive
from tests.support.sendgrid_server import SendGridServer

BODY: dict[str, Any] = {
    "personalizations": [{"to": [{"email": "anna@example.org", "name": "Anna Ö"}]}],
    "from": {"email": "digest@example.org"},
    "subject": "Ochtendeditie — “nieuws”",
    "content": [{"type": "text/plain", "value": "Hallo"}],
}


def transport(server: SendGridServer, key: str = "SG.test-key") -> KeptAlive:
    client = SendGridAPIClient(api_key=key, host=server.url)
    return KeptAlive(client.client.mail.send, timeout=5)


def count_connects(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened: list[int] = []
    connect = http.client.HTTPConnection.connect

    def counting(self: http.client.HTTPConnection) -> None:
        opened.append(1)
        connect(self)

    monkeypatch.setattr(http.client.HTTPConnection, "connect", counting)
    return opened


def test_one_connection_for_many_requests_with_the_clients_headers(
    sendgrid_server: SendGridServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = count_connects(monkeypatch)
    sender = transport(sendgrid_server)
    for _ in range(3):
        assert sender.post(BODY).status_code == 202
    sender.close()
    assert len(opened) == 1
    assert len(sendgrid_server.accepted) == 3 and sendgrid_server.invalid == []
    request = sendgrid_server.accepted[0]
    assert request.body == BODY  # orjson's UTF-8 reads back as the same JSON
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert request.headers["Content-Type"] == "application/json"
    assert "sendgrid" in request.headers["User-Agent"]


def test_a_connection_closed_while_idle_is_opened_afresh(
    sendgrid_server: SendGridServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = count_connects(monkeypatch)
    sender = transport(sendgrid_server)
    assert sender.post(BODY).status_code == 202
    assert sender._conn is not None and sender._conn.sock is not None
    sender._conn.sock.close()  # as if the server had hung up between requests
    assert sender.post(BODY).status_code == 202
    assert len(opened) == 2 and len(sendgrid_server.accepted) == 2


def test_refusals_raise_the_librarys_errors(sendgrid_server: SendGridServer) -> None:
    with pytest.raises(BadRequestsError) as refused:
        transport(sendgrid_server).post({"personalizations": []})
    assert refused.value.status_code == 400 and b"errors" in refused.value.body
    sendgrid_server.api_key = "SG.other"
    with pytest.raises(UnauthorizedError):
        transport(sendgrid_server).post(BODY)
