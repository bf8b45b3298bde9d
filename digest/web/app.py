"""The Starlette application: routes, middleware, error pages, health check.

:func:`create_app` is the one factory; ``digest serve`` runs its result with
uvicorn, tests drive it in-process. Every link in a mail is built from
``[site] base_url``, never from the request's Host header.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest import clock
from digest.classify.regions import Region, load_regions
from digest.config import Config
from digest.deliver import Backend
from digest.errors import DeliveryError, DigestError
from digest.store import Store
from digest.tokens import TokenError, TokenSigner
from digest.web import data, editor, manage, signup, webhook
from digest.web.archive import archive_mount
from digest.web.context import Web, web_of
from digest.web.records import check_database
from digest.web.security import (
    BodyLimit,
    RateLimits,
    SecurityHeaders,
    SlidingWindow,
    security_headers,
)

log = logging.getLogger(__name__)
SESSION_COOKIE = "digest_session"
SESSION_MAX_AGE = 24 * 3600  # a form left open longer asks to be sent again
STYLESHEET = "web/web.css"


async def healthz(request: Request) -> Response:
    """``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer."""
    web = web_of(request)
    try:
        await run_in_threadpool(check_database, web.store)
    except (DigestError, SQLAlchemyError) as exc:
        log.error("health check: database %s does not answer: %s", web.store.describe(), exc)
        return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


async def stylesheet(request: Request) -> Response:
    env = web_of(request).environment(web_of(request).config.site.locale)
    assert env.loader is not None  # make_environment always sets one
    source, _name, _uptodate = env.loader.get_source(env, STYLESHEET)
    return Response(
        source, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


ROUTES = [
    Route("/", signup.sign_up_form, methods=["GET"]),
    Route("/", signup.sign_up, methods=["POST"]),
    Route("/confirm/{token}", signup.confirm_page, methods=["GET"]),
    Route("/confirm/{token}", signup.confirm, methods=["POST"]),
    Route("/preferences/{token}", manage.preferences, methods=["GET"]),
    Route("/preferences/{token}", manage.change_preferences, methods=["POST"]),
    Route("/preferences/{token}/data", data.download, methods=["GET"]),
    Route("/preferences/{token}/erase", data.erase_page, methods=["GET"]),
    Route("/preferences/{token}/erase", data.erase_me, methods=["POST"]),
    Route("/unsubscribe/{token}", manage.unsubscribe_page, methods=["GET"]),
    Route("/unsubscribe/{token}", manage.unsubscribe, methods=["POST"]),
    Route("/webhooks/sendgrid", webhook.sendgrid_events, methods=["POST"]),
    Route("/editor", editor.editor_home, methods=["GET"]),
    Route("/editor", editor.editor_login, methods=["POST"]),
    Route("/editor/{edition}", editor.editor_edition, methods=["GET"]),
    Route("/editor/{edition}", editor.editor_decide, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/static/digest.css", stylesheet, methods=["GET"]),
]


def _error_page(request: Request, problem: str, status: int, **headers: str) -> Response:
    """A Dutch error page; plain text where the page itself cannot be rendered."""
    try:
        return web_of(request).page(
            request, "web/error.html", {"problem": problem}, status=status, headers=headers
        )
    except Exception:  # the templates are broken: say so without them
        log.exception("the error page cannot be rendered")
        return Response(f"Error {status}", status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    problem = exc.detail if exc.status_code in (403, 429) else str(exc.status_code)
    return _error_page(request, problem, exc.status_code, **(exc.headers or {}))


async def token_error(request: Request, exc: Exception) -> Response:
    log.info("refused a link: %s", exc)
    return _error_page(request, "token", 400)


async def unavailable(request: Request, exc: Exception) -> Response:
    log.error("%s %s: %s", request.method, request.url.path.split("/")[1], exc)
    problem = "mail" if isinstance(exc, DeliveryError) else "unavailable"
    return _error_page(request, problem, 503, **{"Retry-After": "60"})


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before its body arrived: nothing to answer, nothing wrong here."""
    log.info("%s %s: the client disconnected mid-request", request.method, _first(request))
    return Response(status_code=400)


def _first(request: Request) -> str:
    return "/" + request.url.path.split("/")[1]


async def server_error(request: Request, exc: Exception) -> Response:
    """500, outside the other middleware: the security headers are added here."""
    response = _error_page(request, "500", 500)
    response.headers.update(security_headers(web_of(request).https))
    return response


HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    HTTPException: http_error,
    TokenError: token_error,
    ClientDisconnect: client_gone,
    DigestError: unavailable,
    SQLAlchemyError: unavailable,
    Exception: server_error,
}


def _middleware(web: Web) -> list[Middleware]:
    """Outermost first: headers on everything, then body limits, then the session."""
    session_key = hmac.new(web.signer.secret.encode(), b"digest.web.session", hashlib.sha256)
    return [
        Middleware(SecurityHeaders, https=web.https),
        Middleware(BodyLimit),
        Middleware(
            SessionMiddleware,
            secret_key=session_key.hexdigest(),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=web.https,
        ),
    ]


def create_app(
    config: Config,
    store: Store,
    *,
    signer: TokenSigner,
    backend: Backend | None = None,
    regions: tuple[Region, ...] | None = None,
    limits: RateLimits | None = None,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], datetime] = clock.now,
    rate_clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The subscription web app.

    ``backend`` sends the confirmation mails (default: a fresh configured
    backend per mail); ``regions`` default to ``[site] regions``. The webhook
    key is ``SENDGRID_WEBHOOK_PUBLIC_KEY`` from ``environ`` (default: the process
    environment); without it every webhook request is refused.
    """
    limits = limits or RateLimits()
    key = webhook.public_key_from_env(environ)
    if key is None:
        log.warning("%s is not set: SendGrid event webhooks are refused", webhook.PUBLIC_KEY_ENV)
    if regions is None:
        regions = load_regions(config.resolve(config.site.regions))
    web = Web(
        config=config,
        store=store,
        signer=signer,
        regions=regions,
        limits=limits,
        by_address=SlidingWindow(limits.per_address, limits.period, clock=rate_clock),
        by_client=SlidingWindow(limits.per_client, limits.period, clock=rate_clock),
        webhook_key=key,
        now=now,
        backend=backend,
        editor=editor.editor_login_from_env(environ),
    )
    mount = archive_mount(config)
    routes = [*ROUTES, mount] if mount is not None else ROUTES
    app = Starlette(routes=routes, middleware=_middleware(web), exception_handlers=HANDLERS)
    # No "/healthz/" -> "/healthz" redirect: Starlette builds its Location from
    # the request's Host header, which the client chooses. A 404 instead.
    app.router.redirect_slashes = False
    app.state.web = web
    return app
