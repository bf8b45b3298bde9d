"""The reader's own data, from the signed preferences link: "Download mijn
gegevens" (a JSON file of everything stored about them) and "Verwijder mij"
(a page with one button; its POST erases them, see :mod:`digest.store.erasure`)."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from digest.store.consent import ConsentKeys
from digest.store.erasure import erase, personal_data
from digest.subscribers import Subscriber
from digest.web.consent import log_consent
from digest.web.context import Web, web_of
from digest.web.security import CSRF_FIELD, check_csrf, client_ip


def _keys(web: Web) -> ConsentKeys:
    return ConsentKeys.from_secret(web.signer.secret)


def _export(web: Web, token: str) -> bytes:
    subscriber = web.verified("preferences", token)
    data = personal_data(web.store, subscriber, _keys(web))
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


async def download(request: Request) -> Response:
    web = web_of(request)
    body = await run_in_threadpool(_export, web, request.path_params["token"])
    headers = {"Content-Disposition": 'attachment; filename="mijn-gegevens.json"'}
    return Response(body, media_type="application/json", headers=headers)


async def erase_page(request: Request) -> Response:
    web = web_of(request)
    token = request.path_params["token"]
    subscriber = await run_in_threadpool(web.verified, "preferences", token)
    context = {"subscriber": subscriber, "token": token}
    return web.page(request, "web/erase.html", context, locale=subscriber.locale)


def _erase(web: Web, token: str, ip: str | None) -> Subscriber:
    subscriber = web.verified("preferences", token)
    log_consent(web, subscriber, "erase", "form:erase", ip=ip)
    erase(web.store, subscriber, _keys(web), now=web.now())
    return subscriber


async def erase_me(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    token = request.path_params["token"]
    gone = await run_in_threadpool(_erase, web, token, client_ip(request))
    return web.page(request, "web/erased.html", {"email": gone.email}, locale=gone.locale)
