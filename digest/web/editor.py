"""The editor's page in ``digest serve``: log in, see the editions waiting for
approval, preview one, approve (with a note) or hold it.

The login is a password whose argon2 hash is in ``DIGEST_EDITOR_PASSWORD_HASH``,
or a token in ``DIGEST_EDITOR_TOKEN`` (at least 16 characters); with neither,
the page is off. A login is kept in the signed session cookie for
``LOGIN_HOURS`` and rate limited per client like sign-ups; every form has the
session's CSRF token. Approving here records the decision; the edition goes
out with the next ``digest run`` (or ``digest schedule``), under its slot's
claim, exactly once.
"""

from __future__ import annotations

import hmac
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from digest.store.approvals import (
    OPEN,
    Approval,
    ApprovalError,
    State,
    decide,
    get_approval,
    list_approvals,
)
from digest.store.editions import load_edition
from digest.web.choices import text_field
from digest.web.context import Web, web_of
from digest.web.security import CSRF_FIELD, check_csrf, client_ip

PASSWORD_ENV = "DIGEST_EDITOR_PASSWORD_HASH"
TOKEN_ENV = "DIGEST_EDITOR_TOKEN"
LOGIN_HOURS = 8
_SESSION_KEY = "editor_since"


@dataclass(frozen=True, slots=True)
class EditorLogin:
    """How the editor proves who they are: an argon2 hash, or a token."""

    password_hash: str | None = None
    token: str | None = None

    def accepts(self, given: str) -> bool:
        if self.token is not None and hmac.compare_digest(self.token.encode(), given.encode()):
            return True
        if self.password_hash is None:
            return False
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return PasswordHasher().verify(self.password_hash, given)
        except (VerificationError, InvalidHashError):
            return False


def editor_login_from_env(environ: Mapping[str, str] | None = None) -> EditorLogin | None:
    env = environ if environ is not None else os.environ
    hashed = env.get(PASSWORD_ENV) or None
    token = env.get(TOKEN_ENV) or None
    if token is not None and len(token) < 16:
        token = None  # too short to guess-proof: refused, as if unset
    if hashed is None and token is None:
        return None
    return EditorLogin(hashed, token)


def _logged_in(request: Request) -> bool:
    since = request.session.get(_SESSION_KEY)
    return isinstance(since, int | float) and time.time() - since < LOGIN_HOURS * 3600


def _login_page(web: Web, request: Request, *, status: int = 200, failed: bool = False) -> Response:
    if web.editor is None:
        return web.page(request, "web/editor_off.html", {}, status=404)
    return web.page(request, "web/editor_login.html", {"failed": failed}, status=status)


async def editor_home(request: Request) -> Response:
    web = web_of(request)
    if web.editor is None or not _logged_in(request):
        return _login_page(web, request)
    waiting = await run_in_threadpool(list_approvals, web.store, None, states=OPEN)
    return web.page(request, "web/editor.html", {"waiting": waiting, "preview": None})


async def editor_login(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    if web.editor is None:
        return _login_page(web, request)
    wait = web.by_client.hit(client_ip(request))
    if wait:
        raise HTTPException(429, "rate", headers={"Retry-After": str(math.ceil(wait))})
    given = text_field(form, "secret")
    if not given or not await run_in_threadpool(web.editor.accepts, given):
        return _login_page(web, request, status=403, failed=True)
    request.session.clear()  # a fresh session (and CSRF token) for the editor
    request.session[_SESSION_KEY] = time.time()
    return await editor_home(request)


def _preview(web: Web, edition_id: str) -> tuple[Approval, object]:
    approval = get_approval(web.store, edition_id)
    if approval is None:
        raise HTTPException(404, "edition")
    return approval, load_edition(web.store, edition_id)


async def editor_edition(request: Request) -> Response:
    web = web_of(request)
    if web.editor is None or not _logged_in(request):
        return _login_page(web, request)
    approval, edition = await run_in_threadpool(_preview, web, request.path_params["edition"])
    context = {"approval": approval, "edition": edition, "done": None, "problem": None}
    return web.page(request, "web/editor_edition.html", context)


def _decide(web: Web, edition_id: str, action: str, note: str | None) -> Approval:
    approval = get_approval(web.store, edition_id)
    if approval is None:
        raise HTTPException(404, "edition")
    now = web.now()
    if approval.state not in OPEN or now >= approval.deadline:
        raise ApprovalError(f"edition {edition_id} is {approval.state}; nothing to decide")
    state: State = "approved" if action == "approve" else "held"
    return decide(web.store, approval, state, now=now, by="editor page", note=note)


async def editor_decide(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    if web.editor is None or not _logged_in(request):
        return _login_page(web, request, status=403)
    action = text_field(form, "action")
    if action not in ("approve", "hold"):
        raise HTTPException(400, "action")
    edition_id = request.path_params["edition"]
    note = text_field(form, "note").strip()[:500] or None
    try:
        await run_in_threadpool(_decide, web, edition_id, action, note)
        problem = None
    except ApprovalError as exc:
        problem = str(exc)
    approval, edition = await run_in_threadpool(_preview, web, edition_id)
    context = {"approval": approval, "edition": edition, "done": action, "problem": problem}
    return web.page(request, "web/editor_edition.html", context, status=409 if problem else 200)
