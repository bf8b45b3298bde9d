"""A local stand-in for SendGrid's ``POST /v3/mail/send`` that checks every body.

Bodies are validated against SendGrid's own OpenAPI description
(``../shared/sendgrid/tsg_mail_v3.json`` from the project root) with the README's two
corrections: the top-level ``custom_args`` is an object, and at most 1000
personalizations are allowed. Answers as SendGrid does: 202 when accepted, 200 in
sandbox mode, 400/401/404/405/413 with ``{"errors": [{"message", "field"}]}``.

Fixture: ``sendgrid_server`` (a fresh ``SendGridServer`` per test).
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared/sendgrid/tsg_mail_v3.json"
MAIL_SEND_PATH = "/v3/mail/send"
MAX_BODY_BYTES = 30 * 1024 * 1024  # SendGrid's limit for a whole message
Json = dict[str, Any]


@cache
def mail_send_validator() -> jsonschema.protocols.Validator:
    """A JSON Schema validator for the mail-send request body (README corrections applied)."""
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    body = spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]
    schema = copy.deepcopy(body["schema"])
    schema["properties"]["custom_args"] = {"type": "object"}
    schema["properties"]["personalizations"]["maxItems"] = 1000
    schema["components"] = spec["components"]  # so "#/components/..." refs resolve
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


def mail_send_errors(body: object) -> list[Json]:
    """SendGrid-style error objects for ``body``; ``[]`` when SendGrid would accept it."""
    errors = sorted(mail_send_validator().iter_errors(body), key=lambda e: list(e.absolute_path))
    return [
        {
            "message": error.message[:500],
            "field": ".".join(str(p) for p in error.absolute_path) or None,
            "help": None,
        }
        for error in errors
    ]


@dataclass(frozen=True)
class MailRequest:
    """One request the server answered: the parsed body, headers, and what it said."""

    body: Any
    headers: dict[str, str]
    status: int
    errors: list[Json] = field(default_factory=list)


class SendGridServer:
    """A threaded HTTP server emulating SendGrid's mail-send endpoint on 127.0.0.1.

    ``api_key``: the only key accepted (None: any non-empty Bearer key).
    ``fail_rate``: share of authorised requests answered with a status drawn from
    ``fail_statuses`` (429 carries ``Retry-After: retry_after``), using ``rng``
    (seeded, so runs repeat). ``delay``: seconds to wait before each answer.
    """

    def __init__(self, api_key: str | None = None, seed: int = 0) -> None:
        self.api_key = api_key
        self.fail_rate = 0.0
        self.fail_statuses: tuple[int, ...] = (429, 500)
        self.retry_after: int | None = 0
        self.delay = 0.0
        #: Called (in a thread of its own) with each accepted request, e.g. to
        #: post its :func:`processed_events` to an event webhook.
        self.on_accepted: Callable[[MailRequest], None] | None = None
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._queued: list[tuple[int, int | None]] = []
        self._log: list[MailRequest] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """Base URL to pass as ``host`` to ``SendGridAPIClient``: ``http://127.0.0.1:PORT``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SendGridServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, status: int, n: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``n`` authorised requests with ``status``, accepting nothing."""
        with self._lock:
            self._queued.extend([(status, retry_after)] * n)

    @property
    def requests(self) -> list[MailRequest]:
        """Every request answered, in order (a copy)."""
        with self._lock:
            return list(self._log)

    def _with_status(self, *statuses: int) -> list[MailRequest]:
        return [r for r in self.requests if r.status in statuses]

    @property
    def accepted(self) -> list[MailRequest]:
        """Requests answered 202: what SendGrid would deliver."""
        return self._with_status(HTTPStatus.ACCEPTED)

    @property
    def sandboxed(self) -> list[MailRequest]:
        """Valid requests in sandbox mode (answered 200, delivered to nobody)."""
        return self._with_status(HTTPStatus.OK)

    @property
    def invalid(self) -> list[MailRequest]:
        """Requests rejected as malformed (400, 413): should stay ``[]`` in tests."""
        return self._with_status(HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    @property
    def failures(self) -> list[MailRequest]:
        """Requests answered with an injected failure (``fail_next`` / ``fail_rate``)."""
        return [r for r in self.requests if r.status >= 429 and not r.errors]

    def recipients(self) -> list[str]:
        """Every ``to`` address of every accepted personalization, repeats kept."""
        return [
            to["email"]
            for request in self.accepted
            for personalization in request.body["personalizations"]
            for to in personalization.get("to", [])
        ]

    def _record(self, request: MailRequest) -> None:
        with self._lock:
            self._log.append(request)
        if request.status == HTTPStatus.ACCEPTED and self.on_accepted is not None:
            # Like SendGrid, report events after accepting, not in the answer's time.
            threading.Thread(target=self.on_accepted, args=(request,), daemon=True).start()

    def _injected_failure(self) -> tuple[int, int | None] | None:
        with self._lock:
            if self._queued:
                return self._queued.pop(0)
            if self.fail_rate and self.rng.random() < self.fail_rate:
                status = self.rng.choice(self.fail_statuses)
                return status, self.retry_after if status == 429 else None
        return None


def _error_body(message: str, field_name: str | None = None) -> Json:
    return {"errors": [{"message": message, "field": field_name, "help": None}]}


def _handler_for(server: SendGridServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_MailSendHandler):
        owner = server

    return Handler


class _MailSendHandler(BaseHTTPRequestHandler):
    owner: SendGridServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _reply(self, status: int, body: Json | None = None, **headers: str) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(payload)))
        try:
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client was killed meanwhile
            self.close_connection = True

    def _answer(self, status: int, body: Any, errors: list[Json], **headers: str) -> None:
        self.owner._record(MailRequest(body, dict(self.headers.items()), int(status), errors))
        self._reply(status, {"errors": errors} if errors else None, **headers)

    def do_GET(self) -> None:
        self._reply(HTTPStatus.METHOD_NOT_ALLOWED, _error_body("method not allowed"))

    do_PUT = do_PATCH = do_DELETE = do_GET

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            errors = _error_body("request entity too large")["errors"]
            return self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, None, errors)
        raw = self.rfile.read(length)
        if len(raw) < length:  # the client died mid-request (a SIGKILL test): nothing arrived
            self.close_connection = True
            return None
        if self.owner.delay:
            time.sleep(self.owner.delay)
        if self.path.split("?")[0] != MAIL_SEND_PATH:
            return self._reply(HTTPStatus.NOT_FOUND, _error_body(f"no route {self.path}"))
        if not self._authorised():
            return self._reply(HTTPStatus.UNAUTHORIZED, _error_body("authorization required"))
        if (failure := self.owner._injected_failure()) is not None:
            status, retry_after = failure
            extra = {"Retry_After": str(retry_after)} if retry_after is not None else {}
            body = _parse(raw)
            return self._answer(status, None if body is _UNPARSABLE else body, [], **extra)
        self._validate_and_accept(raw)

    def _authorised(self) -> bool:
        scheme, _, key = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not key.strip():
            return False
        return self.owner.api_key is None or key.strip() == self.owner.api_key

    def _validate_and_accept(self, raw: bytes) -> None:
        body = _parse(raw)
        if body is _UNPARSABLE:
            errors = _error_body("Bad Request: the JSON body could not be parsed")["errors"]
            return self._answer(HTTPStatus.BAD_REQUEST, None, errors)
        if errors := mail_send_errors(body):
            return self._answer(HTTPStatus.BAD_REQUEST, body, errors)
        sandbox = body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable") is True
        status = HTTPStatus.OK if sandbox else HTTPStatus.ACCEPTED
        self._answer(status, body, [], X_Message_Id=uuid.uuid4().hex[:22])


_UNPARSABLE = object()


def processed_events(request: MailRequest) -> list[Json]:
    """The ``processed`` events SendGrid's Event Webhook posts for an accepted request:
    one per recipient, carrying the request's and the personalization's custom_args."""
    body = request.body
    common = body.get("custom_args", {})
    return [
        {
            "email": to["email"],
            "event": "processed",
            "sg_event_id": uuid.uuid4().hex,
            "sg_message_id": request.headers.get("X-Message-Id", ""),
            "timestamp": int(time.time()),
            **common,
            **personalization.get("custom_args", {}),
        }
        for personalization in body["personalizations"]
        for to in personalization.get("to", [])
    ]


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return _UNPARSABLE


@pytest.fixture
def sendgrid_server() -> Iterator[SendGridServer]:
    """A running ``SendGridServer`` for this test (fresh state), any Bearer key accepted.

    Point the client at it: ``SendGridAPIClient(api_key="SG.test", host=server.url)``.
    Inspect ``server.accepted`` / ``server.invalid`` / ``server.recipients()``; inject
    failures with ``server.fail_next(429, n=2, retry_after=0)`` or
    ``server.fail_rate = 0.2`` (seeded RNG, statuses from ``server.fail_statuses``);
    slow it with ``server.delay``. Skips when the SendGrid description is absent.
    """
    if not SPEC_PATH.is_file():
        pytest.skip(f"SendGrid API description not found at {SPEC_PATH}")
    server = SendGridServer().start()
    try:
        yield server
    finally:
        server.stop()
