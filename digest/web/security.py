"""Safety for every request: security headers, body size limits, CSRF tokens,
sign-up rate limits, and signed links kept out of the access log.

CSRF: a random token lives in the signed session cookie (Starlette's
``SessionMiddleware``, ``SameSite=Lax``, ``HttpOnly``, ``Secure`` behind
https) and is repeated in a hidden field of every form; a POST whose field
does not match, or whose ``Origin`` is another site, is refused with 403.

Rate limits are in-process sliding windows: one ``digest serve`` process
keeps them in memory, so they reset on restart and are not shared between
processes (see docs/web.md).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_FIELD = "csrf"
_SESSION_KEY = "csrf"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Signed links sit in page URLs: never send them to another site as a Referer.
    # (Not "no-referrer": with it, browsers send "Origin: null" on our own forms.)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cache-Control": "no-store",
}
MAX_BODY = 64 * 1024  # forms are a few hundred bytes
MAX_WEBHOOK_BODY = 8 * 1024 * 1024  # SendGrid posts batches of events
_TOKEN_IN_PATH = re.compile(r"(/(?:confirm|preferences|unsubscribe)/)[^/?#\s\"]+")


def security_headers(https: bool) -> dict[str, str]:
    """The headers every response carries; HSTS only over https."""
    return {**HEADERS, **({"Strict-Transport-Security": HSTS} if https else {})}


class SecurityHeaders:
    """ASGI middleware: add :func:`security_headers` to every response
    (a header the response set itself, such as Cache-Control, is kept)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(self.https or scope.get("scheme") == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """ASGI middleware: refuse request bodies larger than the path allows (413)."""

    def __init__(self, app: ASGIApp, *, limit: Callable[[str], int] | None = None) -> None:
        self.app = app
        self.limit = limit or body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            too_big = PlainTextResponse("Request body too large.", status_code=413)
            await too_big(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, "Request body too large.")
            return message

        await self.app(scope, counted, send)


def body_limit(path: str) -> int:
    return MAX_WEBHOOK_BODY if path.startswith("/webhooks/") else MAX_BODY


def csrf_token(request: Request) -> str:
    """The session's CSRF token for a form, made on first use."""
    token = request.session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = token
    return token


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_csrf(request: Request, given: object, site_url: str) -> None:
    """Raise 403 unless ``given`` (the form field) matches the session's token
    and the request, if it names its origin, comes from this site. (An opaque
    origin, ``null``, names none: privacy settings send it; the token decides.)"""
    origin = request.headers.get("origin", "null").lower()
    allowed = {origin_of(site_url), origin_of(str(request.base_url)), "null"}
    if origin not in allowed:
        raise HTTPException(403, "csrf")
    expected = request.session.get(_SESSION_KEY)
    if not isinstance(expected, str) or not isinstance(given, str):
        raise HTTPException(403, "csrf")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(403, "csrf")


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Sign-ups allowed per address and per client IP within ``period`` seconds."""

    per_address: int = 3
    per_client: int = 10
    period: float = 3600.0


class SlidingWindow:
    """At most ``limit`` hits per key in any ``period`` seconds, in memory.

    Thread-safe; keys idle for a whole period are swept once there are more
    than ``max_keys``, and the oldest keys go first if that is not enough.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit, self.period, self.clock, self.max_keys = limit, period, clock, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count a hit and return 0, or return the seconds until one is allowed
        again (a refused hit is not counted)."""
        with self._lock:
            moment = self.clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= moment - self.period:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.period - moment, 0.001)
            hits.append(moment)
            if len(self._hits) > self.max_keys:
                self._sweep(moment)
            return 0.0

    def _sweep(self, moment: float) -> None:
        stale = [k for k, h in self._hits.items() if not h or h[-1] <= moment - self.period]
        for key in stale:
            del self._hits[key]
        while len(self._hits) > self.max_keys:
            del self._hits[next(iter(self._hits))]


def client_ip(request: Request) -> str:
    """The client's address (uvicorn takes it from X-Forwarded-For of trusted proxies)."""
    return request.client.host if request.client else "unknown"


def redact(text: str) -> str:
    """``text`` with the signed token of every link path replaced by ``…``."""
    return _TOKEN_IN_PATH.sub(r"\1…", text)


class RedactTokens(logging.Filter):
    """A log filter for uvicorn's access log: signed links are secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
