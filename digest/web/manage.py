"""The subscriber's own pages, reached by signed links from every mail:
preferences (regions, name, pause, resume, unsubscribe) and unsubscribe.

Pausing is a status (``paused``): the regions are kept, delivery sends only to
``active`` subscribers, and "resume" makes the subscription active again.
``POST /unsubscribe/{token}`` with ``List-Unsubscribe=One-Click`` in the body
is RFC 8058's one-click unsubscribe: no CSRF token (mail providers send it),
no page, just 200.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from digest.store.subscribers import set_status
from digest.subscribers import Subscriber, SubscriberError, clean_name
from digest.web.choices import (
    FormProblem,
    choice_context,
    chosen_editions,
    chosen_locale,
    text_field,
)
from digest.web.consent import log_consent
from digest.web.context import Web, web_of
from digest.web.records import update_choice
from digest.web.security import CSRF_FIELD, check_csrf, client_ip
from digest.web.signup import chosen_regions, read_first_name, region_choices

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
# What each button on the preferences page does to which statuses.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "pause": (frozenset({"active"}), "paused"),
    "resume": (frozenset({"pending", "paused", "unsubscribed", "bounced", "complained"}), "active"),
    "unsubscribe": (frozenset({"pending", "active", "paused"}), "unsubscribed"),
}


def next_status(current: str, action: str) -> str | None:
    """The status ``action`` leads to from ``current``; None when it changes nothing."""
    sources, target = TRANSITIONS[action]
    return target if current in sources else None


def _preferences_context(web: Web, subscriber: Subscriber, token: str) -> dict[str, object]:
    chosen = subscriber.regions or ()
    return {
        "subscriber": subscriber,
        "token": token,
        "regions": region_choices(web.regions, chosen),
        "values": {"name": subscriber.name or "", "first_name": subscriber.first_name or ""},
    } | choice_context(web.config, subscriber.editions, subscriber.locale)


async def preferences(request: Request) -> Response:
    web = web_of(request)
    token = request.path_params["token"]
    subscriber = await run_in_threadpool(web.verified, "preferences", token)
    context = _preferences_context(web, subscriber, token)
    return web.page(request, "web/preferences.html", context, locale=subscriber.locale)


def _change(web: Web, token: str, form: FormData, action: str, ip: str | None) -> Subscriber:
    changed = _apply(web, token, form, action)
    event = "preferences" if action == "save" else action
    log_consent(web, changed, event, "form:preferences", ip=ip)
    return changed


def _apply(web: Web, token: str, form: FormData, action: str) -> Subscriber:
    subscriber = web.verified("preferences", token)
    now = web.now()
    if action == "save":
        regions = chosen_regions(form, [r.id for r in web.regions])
        try:
            name = clean_name(text_field(form, "name"))
        except SubscriberError as exc:
            raise FormProblem("name", str(exc)) from exc
        first_name = read_first_name(form)
        editions = chosen_editions(form, web.config.edition_names, None)
        locale = chosen_locale(form, subscriber.locale)
        return update_choice(
            web.store,
            subscriber.id,
            regions=regions,
            name=name,
            now=now,
            editions=editions,
            locale=locale,
            first_name=first_name,
        )
    status = next_status(subscriber.status, action)
    if status is None:
        return subscriber
    return set_status(web.store, subscriber.email, status, now=now)


async def change_preferences(request: Request) -> Response:
    web = web_of(request)
    token = request.path_params["token"]
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    action = text_field(form, "action")
    if action != "save" and action not in TRANSITIONS:
        raise HTTPException(400, "action")
    try:
        ip = client_ip(request)
        subscriber = await run_in_threadpool(_change, web, token, form, action, ip)
    except FormProblem as problem:
        subscriber = await run_in_threadpool(web.verified, "preferences", token)
        context = _preferences_context(web, subscriber, token) | {"error": problem.field}
        return web.page(
            request, "web/preferences.html", context, status=422, locale=subscriber.locale
        )
    context = _preferences_context(web, subscriber, token) | {"done": action}
    return web.page(request, "web/preferences.html", context, locale=subscriber.locale)


async def unsubscribe_page(request: Request) -> Response:
    web = web_of(request)
    token = request.path_params["token"]
    subscriber = await run_in_threadpool(web.verified, "unsubscribe", token)
    context = {"subscriber": subscriber, "token": token}
    return web.page(request, "web/unsubscribe.html", context, locale=subscriber.locale)


def _unsubscribe(web: Web, token: str, source: str, ip: str | None) -> Subscriber:
    subscriber = web.verified("unsubscribe", token)
    status = next_status(subscriber.status, "unsubscribe")
    if status is None:
        return subscriber
    left = set_status(web.store, subscriber.email, status, now=web.now())
    log_consent(web, left, "unsubscribe", source, ip=ip)
    return left


async def unsubscribe(request: Request) -> Response:
    web = web_of(request)
    token = request.path_params["token"]
    form = await request.form()
    if form.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
        await run_in_threadpool(_unsubscribe, web, token, "one-click", client_ip(request))
        return Response(status_code=200)
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    ip = client_ip(request)
    subscriber = await run_in_threadpool(_unsubscribe, web, token, "form:unsubscribe", ip)
    context = {"subscriber": subscriber, "preferences_path": web.path("preferences", subscriber)}
    return web.page(request, "web/unsubscribed.html", context, locale=subscriber.locale)
