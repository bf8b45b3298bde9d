"""Sign-up with double opt-in: the form, the "check your inbox" page, and the
confirmation link that makes the subscription active.

The link in the mail opens a page with one button; only its POST confirms
(scanners that fetch every link in a mail must not subscribe anyone).

Every accepted sign-up answers with the same page whatever the address's
state, and every one sends exactly one mail: a confirmation link to a new or
inactive address, a "you already subscribe" note with the preferences link to
an active one. So neither the page nor the absence of a mail tells a stranger
who is subscribed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from digest.classify.regions import Region
from digest.config import Config
from digest.store.consent import ConsentKeys
from digest.store.erasure import lift_suppression
from digest.store.subscribers import set_status
from digest.subscribers import (
    Subscriber,
    SubscriberError,
    clean_first_name,
    clean_name,
    normalise_address,
)
from digest.subscribers import parse_regions as parse_region_ids
from digest.web.choices import FormProblem as FormProblem  # re-exported
from digest.web.choices import (
    choice_context,
    chosen_editions,
    chosen_locale,
    text_field,
    ticked_in,
)
from digest.web.consent import log_consent
from digest.web.context import Web, web_of
from digest.web.records import SignUp, record_sign_up
from digest.web.security import CSRF_FIELD, check_csrf, client_ip

log = logging.getLogger(__name__)


def chosen_regions(form: FormData, known: Collection[str]) -> frozenset[str] | None:
    """The ticked region boxes; none ticked means everything (None)."""
    ticked = [v for v in form.getlist("regions") if isinstance(v, str)]
    try:
        return parse_region_ids(",".join(ticked), known)
    except SubscriberError as exc:
        raise FormProblem("regions", str(exc)) from exc


def read_sign_up(form: FormData, known: Collection[str], config: Config) -> SignUp:
    """The sign-up a form asks for; FormProblem naming the first bad field."""
    try:
        email = normalise_address(text_field(form, "email"))
    except SubscriberError as exc:
        raise FormProblem("email", str(exc)) from exc
    try:
        name = clean_name(text_field(form, "name"))
    except SubscriberError as exc:
        raise FormProblem("name", str(exc)) from exc
    first_name = read_first_name(form)
    regions = chosen_regions(form, known)
    editions = chosen_editions(form, config.edition_names, config.default_editions)
    locale = chosen_locale(form, config.site.locale)
    return SignUp(email, name, regions, locale, editions, first_name)


def read_first_name(form: FormData) -> str | None:
    """The optional first-name field; FormProblem when it is too long."""
    try:
        return clean_first_name(text_field(form, "first_name"))
    except SubscriberError as exc:
        raise FormProblem("first_name", str(exc)) from exc


def region_choices(regions: tuple[Region, ...], chosen: Collection[str]) -> list[dict[str, object]]:
    """What the region checkboxes need: id, name, ticked."""
    return [{"id": r.id, "name": r.name, "checked": r.id in chosen} for r in regions]


async def sign_up_form(request: Request) -> Response:
    web = web_of(request)
    config = web.config
    context: dict[str, object] = {"regions": region_choices(web.regions, ()), "values": {}}
    context |= choice_context(config, config.default_editions, config.site.locale)
    return web.page(request, "web/signup.html", context)


def _send(web: Web, wanted: SignUp, ip: str | None) -> None:
    now = web.now()
    subscriber = record_sign_up(web.store, wanted, now=now)
    if subscriber.status != "active":  # an active reader's choice is not changed by a stranger
        log_consent(web, subscriber, "signup", "form:signup", ip=ip)
    web.mailer.send("active" if subscriber.status == "active" else "confirm", subscriber, now=now)


async def sign_up(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    wait = web.by_client.hit(client_ip(request))
    if wait:
        raise HTTPException(429, "rate", headers={"Retry-After": str(math.ceil(wait))})
    try:
        wanted = read_sign_up(form, [r.id for r in web.regions], web.config)
    except FormProblem as problem:
        values = {
            "email": text_field(form, "email"),
            "name": text_field(form, "name"),
            "first_name": text_field(form, "first_name"),
        }
        ticked = [v for v in form.getlist("regions") if isinstance(v, str)]
        context: dict[str, object] = {
            "regions": region_choices(web.regions, ticked),
            "values": values,
        }
        locale = text_field(form, "locale") or web.config.site.locale
        context |= choice_context(web.config, ticked_in(form), locale)
        context["error"] = problem.field
        return web.page(request, "web/signup.html", context, status=422)
    if web.by_address.hit(wanted.email):
        # Same page, no mail: the owner already has a recent one.
        log.info("sign-up limit reached for an address; no mail sent")
    else:
        await run_in_threadpool(_send, web, wanted, client_ip(request))
    return web.page(request, "web/signup_sent.html", {"email": wanted.email})


def _activate(web: Web, token: str, ip: str | None) -> tuple[Subscriber, bool]:
    subscriber = web.verified("confirm", token)
    if subscriber.status == "active":
        return subscriber, False
    confirmed = set_status(web.store, subscriber.email, "active", now=web.now())
    log_consent(web, confirmed, "confirm", "form:confirm", ip=ip)
    # The owner confirmed anew: an erased address may be listed again.
    lift_suppression(web.store, ConsentKeys.from_secret(web.signer.secret), confirmed.email)
    return confirmed, True


async def confirm_page(request: Request) -> Response:
    """The confirmation link's page: one button that confirms. A GET changes
    nothing, so mail scanners that follow every link cannot confirm for anyone."""
    web = web_of(request)
    token = request.path_params["token"]
    subscriber = await run_in_threadpool(web.verified, "confirm", token)
    if subscriber.status == "active":
        return _confirmed(web, request, subscriber, changed=False)
    context = {"subscriber": subscriber, "token": token}
    return web.page(request, "web/confirm.html", context, locale=subscriber.locale)


async def confirm(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD), web.config.site.base_url)
    token = request.path_params["token"]
    subscriber, changed = await run_in_threadpool(_activate, web, token, client_ip(request))
    return _confirmed(web, request, subscriber, changed=changed)


def _confirmed(web: Web, request: Request, subscriber: Subscriber, *, changed: bool) -> Response:
    context = {
        "already": not changed,
        "preferences_path": web.path("preferences", subscriber),
        "subscriber": subscriber,
        "region_names": [r.name for r in web.regions if r.id in (subscriber.regions or ())],
    }
    return web.page(request, "web/confirmed.html", context, locale=subscriber.locale)
