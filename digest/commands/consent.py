"""``digest consent verify``, and the consent log entries the command line writes
(``digest subscribers add``, ``import``, ``editions``, ``remove``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from digest import clock
from digest.commands.app import App, pass_app
from digest.errors import DigestError, plural

if TYPE_CHECKING:
    from digest.store.consent import ConsentKeys
    from digest.subscribers import Subscriber


def consent_keys() -> ConsentKeys:
    """The log's keys, from ``DIGEST_SECRET_KEY`` (refusing without it)."""
    from digest.store.consent import ConsentKeys
    from digest.tokens import secret_key

    return ConsentKeys.from_secret(secret_key())


def _text_versions(app: App, locales: Iterable[str]) -> dict[str, str]:
    """The version of the consent text in each locale (kept in the store)."""
    from digest.render.consent import consent_statement
    from digest.render.environment import make_environment
    from digest.store.consent import remember_text

    site = app.config.site
    folders = [app.config.resolve(site.templates)] if site.templates else None
    versions = {}
    for locale in sorted(set(locales)):
        text = consent_statement(make_environment(folders, locale), site.title)
        versions[locale] = remember_text(app.store, text, locale, now=clock.now())
    return versions


def log_subscribers(
    app: App,
    found: list[Subscriber],
    event: str,
    source: str,
    *,
    keys: ConsentKeys,
    with_text: bool,
) -> None:
    """One entry per subscriber; ``with_text``: they agreed to the consent text (an
    import: the operator vouches for it), else an operator's change."""
    from digest.store.consent import NewEntry, append_many

    versions = _text_versions(app, (s.locale for s in found)) if with_text else {}
    entries = [
        NewEntry(s.email, s.id, event, source, versions.get(s.locale), None, _choices(s))
        for s in found
    ]
    append_many(app.store, keys, entries, now=clock.now())


def _choices(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "regions": sorted(subscriber.regions) if subscriber.regions is not None else None,
        "editions": sorted(subscriber.editions) if subscriber.editions is not None else None,
        "locale": subscriber.locale,
        "status": subscriber.status,
    }


@click.group("consent")
def consent() -> None:
    """The consent log: check that no entry was changed."""


@consent.command("verify")
@pass_app
def verify(app: App) -> None:
    """Recompute the consent log's hash chain; exit 1 naming each entry that was
    changed, deleted or inserted in the database directly."""
    from digest.store.consent import verify_chain

    found = verify_chain(app.store, consent_keys())
    for problem in found.problems:
        click.echo(f"digest: error: consent log {problem}", err=True)
    if not found.ok:
        raise DigestError(
            f"consent log: {plural(len(found.problems), 'entry', 'entries')} of "
            f"{found.entries} failed the check (listed above); restore the log from a backup"
        )
    click.echo(f"consent log: {plural(found.entries, 'entry', 'entries')}, chain intact")
