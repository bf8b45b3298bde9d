"""A kept-alive HTTP transport under the ``sendgrid`` client.

``python_http_client`` (what ``SendGridAPIClient`` posts with) opens a new
TCP connection for every request, serialises the body with ``json.dumps``
and formats every body into a debug string even with debug logging off. This
transport takes the URL and headers (API key, user agent) from the client
the ``sendgrid`` package configured, encodes the body with orjson, and posts
it over one connection kept open across requests. It answers and fails as
the library does: a ``python_http_client`` ``Response``, its ``HTTPError``
family for 4xx/5xx, ``URLError`` when nothing was sent, and the raw
``OSError``/``HTTPException`` when the request went out but no answer came.
"""

from __future__ import annotations

import http.client
import io
import select
import threading
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

import orjson
from python_http_client.client import Client, Response
from python_http_client.exceptions import handle_error


class KeptAlive:
    """POSTs JSON to the endpoint ``endpoint`` (a ``python_http_client`` client
    built up to its path, e.g. ``client.mail.send``) over one connection."""

    def __init__(self, endpoint: Client, timeout: float) -> None:
        self.url = endpoint._build_url(None)
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {self.url!r}")
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.headers = {**endpoint.request_headers, "Content-Type": "application/json"}
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def post(self, body: Any) -> Response:
        data = orjson.dumps(body)
        with self._lock:
            response = self._exchange(data)
        if response.status_code >= 400:
            error = HTTPError(
                self.url, response.status_code, "", response.headers, io.BytesIO(response.body)
            )
            raise handle_error(error)
        return response

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self.timeout)

    def _exchange(self, data: bytes) -> Response:
        conn = self._conn
        self._conn = None
        if conn is not None and _dropped(conn):
            conn.close()
            conn = None
        reused = conn is not None
        conn = conn or self._connect()
        try:
            conn.request("POST", self._path, body=data, headers=self.headers)
        except OSError as exc:
            conn.close()
            if not reused:
                raise URLError(exc) from exc
            # A kept-alive connection the server had closed: the request did not
            # go out whole, so nothing can have been accepted; once more, afresh.
            conn = self._connect()
            try:
                conn.request("POST", self._path, body=data, headers=self.headers)
            except OSError as again:
                conn.close()
                raise URLError(again) from again
        try:  # errors from here on: sent, but no answer (the caller's to judge)
            answer = conn.getresponse()
            response = Response(answer)  # reads the whole body: the connection can be reused
        except BaseException:
            conn.close()
            raise
        if answer.will_close:
            conn.close()
        else:
            self._conn = conn
        return response


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether a kept-alive connection was closed (or spoke) while idle: its
    socket is readable although no request is outstanding."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
