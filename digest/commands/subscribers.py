"""``digest subscribers add|import|list|remove|export``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import plural
from digest.model import LOCALES
from digest.subscribers import (
    STATUSES,
    SubscriberError,
    clean_first_name,
    clean_name,
    export_csv,
    normalise_address,
    parse_editions,
    parse_import,
    parse_regions,
)


def _known_regions(app: App) -> list[str]:
    return [region.id for region in app.regions]


def _regions_text(regions: frozenset[str] | None) -> str:
    return ",".join(sorted(regions)) if regions is not None else "all regions"


def _editions_text(editions: frozenset[str] | None) -> str:
    return "editions " + ",".join(sorted(editions)) if editions is not None else "every edition"


def _chosen_editions(app: App, text: str | None) -> frozenset[str]:
    """The editions ``--editions`` names, or the configured default."""
    chosen = parse_editions(text, app.config.edition_names)
    return chosen if chosen is not None else app.config.default_editions


@click.group("subscribers")
def subscribers() -> None:
    """Who gets the editions: add, import, list, editions, consent, remove, prune, export."""


@subscribers.command("add")
@click.argument("address")
@click.option("--name", help="Full name, shown in the To: header.")
@click.option(
    "--first-name",
    help="Name the greeting uses (default: the first word of --name).",
)
@click.option("--regions", help="Comma-separated region ids (default: all regions).")
@click.option("--locale", type=click.Choice(LOCALES), help="Language (default: [site] locale).")
@click.option(
    "--editions",
    help="Comma-separated edition names (default: [subscribers] default_editions).",
)
@click.option(
    "--active/--pending",
    default=False,
    help="Confirmed and receiving mail, or waiting for confirmation (default).",
)
@pass_app
def add(
    app: App,
    address: str,
    name: str | None,
    first_name: str | None,
    regions: str | None,
    locale: str | None,
    editions: str | None,
    active: bool,
) -> None:
    """Add ADDRESS as a subscriber."""
    from digest.commands.consent import consent_keys, log_subscribers
    from digest.store.erasure import suppressed
    from digest.store.subscribers import add_subscriber

    keys = consent_keys()  # refuse before adding anyone the log cannot record
    chosen = parse_regions(regions, _known_regions(app))
    email = normalise_address(address)
    if suppressed(app.store, keys, [email]):
        raise SubscriberError(
            f"{email} was erased at the owner's request; only they can sign up again"
        )
    added = add_subscriber(
        app.store,
        email,
        name=clean_name(name),
        first_name=clean_first_name(first_name),
        locale=locale or app.config.site.locale,
        regions=chosen,
        status="active" if active else "pending",
        now=clock.now(),
        editions=_chosen_editions(app, editions),
    )
    log_subscribers(app, [added], "add", "cli", keys=keys, with_text=active)
    click.echo(
        f"added {added.email} ({added.status}, {_regions_text(added.regions)}, "
        f"{_editions_text(added.editions)})"
    )


@subscribers.command("editions")
@click.argument("address")
@click.argument("names")
@pass_app
def editions_(app: App, address: str, names: str) -> None:
    """Set the editions ADDRESS receives: NAMES comma-separated, e.g. ochtend,avond."""
    from digest.commands.consent import consent_keys, log_subscribers
    from digest.store.subscribers import set_editions

    keys = consent_keys()
    chosen = parse_editions(names, app.config.edition_names)
    if chosen is None:
        raise SubscriberError(
            f"no edition named; write one or more of: {', '.join(app.config.edition_names)} "
            "(to stop all mail: `digest subscribers remove` or the preferences page)"
        )
    changed = set_editions(app.store, normalise_address(address), chosen, now=clock.now())
    log_subscribers(app, [changed], "preferences", "cli", keys=keys, with_text=False)
    click.echo(f"{changed.email} receives {_editions_text(changed.editions)}")


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--locale", type=click.Choice(LOCALES), help="Language of rows without one.")
@click.option(
    "--active/--pending",
    default=True,
    help="Import as confirmed (default: the list has consent) or as pending.",
)
@pass_app
def import_(app: App, file: Path, locale: str | None, active: bool) -> None:
    """Import FILE.csv with the header email,name,regions (regions ;-separated).

    Optional columns: locale (nl or en) and editions (;-separated edition names;
    blank: [subscribers] default_editions). Bad rows are reported by line number
    and reason and the others imported;
    the exit status is 1 when any row was bad. Known addresses are left as they are.
    """
    from digest.commands.consent import consent_keys, log_subscribers
    from digest.store.erasure import suppressed
    from digest.store.subscribers import import_subscribers, subscribers_by_email

    keys = consent_keys()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriberError(f"{file}: cannot be read as UTF-8 text: {exc}") from exc
    plan = parse_import(
        text, _known_regions(app), source=str(file), known_editions=app.config.edition_names
    )
    erased = suppressed(app.store, keys, [row.email for row in plan.rows])
    counts = import_subscribers(
        app.store,
        [row for row in plan.rows if row.email not in erased],
        locale=locale or app.config.site.locale,
        status="active" if active else "pending",
        now=clock.now(),
        editions=app.config.default_editions,
    )
    added = subscribers_by_email(app.store, counts.added_emails)
    log_subscribers(app, added, "import", f"import:{file.name}", keys=keys, with_text=True)
    for bad in plan.bad:
        click.echo(f"digest: error: {file}:{bad.line}: {bad.reason}", err=True)
    left_out = f"{len(erased)} erased at their request (not added), " if erased else ""
    click.echo(
        f"{file}: {counts.added} imported, {counts.existing} already subscribed, "
        f"{left_out}{plural(len(plan.bad), 'bad row')}"
    )
    if plan.bad:
        rows = plural(len(plan.bad), "bad row")
        raise SubscriberError(f"{file}: {rows} not imported (listed above)")


@subscribers.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def list_(app: App, status: str | None, as_json: bool) -> None:
    """List subscribers, oldest first."""
    from digest.store.subscribers import list_subscribers

    found = list_subscribers(app.store, status=status)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in found], ensure_ascii=False, indent=2))
        return
    for sub in found:
        name = f"  {sub.name}" if sub.name else ""
        regions, editions = _regions_text(sub.regions), _editions_text(sub.editions)
        click.echo(f"{sub.email}  {sub.status}  {sub.locale}  {regions}  {editions}{name}")
    click.echo(plural(len(found), "subscriber"), err=True)


@subscribers.command("remove")
@click.argument("address")
@pass_app
def remove(app: App, address: str) -> None:
    """Delete ADDRESS and its delivery records."""
    from digest.commands.consent import consent_keys, log_subscribers
    from digest.store.subscribers import get_subscriber, remove_subscriber

    keys = consent_keys()
    email = address.strip().lower()
    found = get_subscriber(app.store, email)
    if found is None or not remove_subscriber(app.store, email):
        raise SubscriberError(f"{email} is not a subscriber; see `digest subscribers list`")
    log_subscribers(app, [found], "remove", "cli", keys=keys, with_text=False)
    click.echo(f"removed {email}")


@subscribers.command("consent")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the entries.")
@pass_app
def consent_(app: App, address: str, as_json: bool) -> None:
    """The consent log of ADDRESS, oldest first: when, what, through which form
    or import, the version of the consent text, a keyed hash of the IP."""
    from digest.commands.consent import consent_keys
    from digest.store.consent import entries_for

    email = normalise_address(address)
    found = entries_for(app.store, consent_keys(), email)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in found], ensure_ascii=False, indent=2))
        return
    zone = app.config.zone
    for entry in found:
        text = f"text {entry.text_version[:12]}" if entry.text_version else "no text"
        ip = f"ip {entry.ip_hash[:12]}" if entry.ip_hash else "no ip"
        choices = ", ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))
        when = clock.moment(entry.at, zone)
        click.echo(f"{when}  {entry.event}  {entry.source}  {text}  {ip}  {choices}")
    click.echo(f"{email}: {plural(len(found), 'entry', 'entries')}", err=True)


@subscribers.command("prune")
@click.option("--at", type=INSTANT, help="Prune as if it were this time (ISO 8601).")
@pass_app
def prune(app: App, at: datetime | None) -> None:
    """Delete sign-ups never confirmed for [subscribers] prune_pending_after (30 days);
    `digest run` does this too."""
    click.echo(prune_pending_signups(app, at or clock.now()))


def prune_pending_signups(app: App, now: datetime) -> str:
    """Prune the stale pending sign-ups, logging each in the consent log; what was done."""
    from digest.commands.consent import consent_keys, log_subscribers
    from digest.config import parse_duration
    from digest.store.erasure import prune_pending

    keys = consent_keys()
    after = app.config.subscribers.prune_pending_after
    gone = prune_pending(app.store, before=now - parse_duration(after))
    log_subscribers(app, gone, "prune", "digest", keys=keys, with_text=False)
    return f"pruned {plural(len(gone), 'sign-up')} unconfirmed for more than {after}"


@subscribers.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export(app: App, file: Path | None) -> None:
    """Write every subscriber as CSV to FILE (default: standard output)."""
    from digest.store.subscribers import stream_subscribers

    chunks = export_csv(stream_subscribers(app.store))
    if file is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    try:
        with file.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
    except OSError as exc:
        raise SubscriberError(f"{file}: cannot be written: {exc}") from exc
    click.echo(f"wrote {file}", err=True)
