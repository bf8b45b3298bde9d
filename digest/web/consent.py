"""Writing the consent log from the web pages: every sign-up, confirmation,
preference change and unsubscribe, with the version of the consent text the
page showed, the form it came through and a keyed hash of the client's IP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from digest.render.consent import consent_statement
from digest.store.consent import ConsentKeys, append, remember_text
from digest.subscribers import Subscriber
from digest.web.context import Web


def choices_of(subscriber: Subscriber) -> dict[str, Any]:
    """What a reader chose, as the log records it."""
    return {
        "regions": sorted(subscriber.regions) if subscriber.regions is not None else None,
        "editions": sorted(subscriber.editions) if subscriber.editions is not None else None,
        "locale": subscriber.locale,
        "status": subscriber.status,
    }


def log_consent(
    web: Web,
    subscriber: Subscriber,
    event: str,
    source: str,
    *,
    ip: str | None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry for ``subscriber`` (the consent text in their language)."""
    now = web.now()
    text = consent_statement(web.environment(subscriber.locale), web.config.site.title)
    version = remember_text(web.store, text, subscriber.locale, now=now)
    append(
        web.store,
        ConsentKeys.from_secret(web.signer.secret),
        email=subscriber.email,
        subscriber_id=subscriber.id,
        event=event,
        source=source,
        now=now,
        text_version=version,
        ip=ip,
        details={**choices_of(subscriber), **(details or {})},
    )
