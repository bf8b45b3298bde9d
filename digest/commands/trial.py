"""``digest send --test`` and ``digest preview``: the edition as one segment gets it,
to any address or to a file, marked as a test and outside the ledger."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.model import LOCALES

if TYPE_CHECKING:
    from digest.model import Edition
    from digest.render.outputs import RenderedEdition

TEST_MARK = "[TEST] "


def segment_rendering(
    app: App, found: Edition, regions: tuple[str, ...], locale: str | None
) -> RenderedEdition:
    """``found`` rendered for the segment of ``regions`` (none: all) and ``locale``."""
    from digest.deliver.segments import SegmentKey, segment_edition
    from digest.edition.build import archive_page
    from digest.errors import DigestError
    from digest.render.outputs import render_for_config

    known = {r.id for r in app.regions}
    unknown = sorted(set(regions) - known)
    if unknown:
        raise DigestError(
            f"--regions: unknown region {unknown[0]!r}; choose from {', '.join(sorted(known))}"
        )
    key = SegmentKey(frozenset(regions) if regions else None, locale or app.config.site.locale)
    page = archive_page(app.store, app.config, found)
    return render_for_config(segment_edition(found, key), app.config, key.locale, page)


def send_test(
    app: App, found: Edition, address: str, regions: tuple[str, ...], locale: str | None
) -> None:
    """Send ``found`` as the segment would get it to ``address``: subject marked
    ``[TEST]``, links pointing at the site, nothing written to the ledger."""
    from digest.deliver import Addressee, Batch, Outcome, make_backend
    from digest.deliver.message import list_unsubscribe, make_sender, message_id, parse_address
    from digest.errors import DeliveryError

    try:
        email = str(parse_address(address, "--test").addr_spec)
    except DeliveryError as exc:
        raise DeliveryError(f"--test: {address!r} is not an address like anna@example.org") from exc
    rendered = segment_rendering(app, found, regions, locale)
    rendered = replace(rendered, subject=TEST_MARK + rendered.subject)
    config = app.config
    sender = make_sender(
        config.delivery.from_,
        config.delivery.reply_to,
        site_title=config.site.title,
        edition_name=found.name,
    )
    base = config.site.base_url.rstrip("/")
    now = clock.now()
    to = Addressee(
        subscriber_id=0,
        email=email,
        name=None,
        unsubscribe_url=base,
        preferences_url=base,
        list_unsubscribe=list_unsubscribe(base),
        message_id=message_id(f"{found.id}-test-{now:%Y%m%dT%H%M%S}", 0, sender.domain),
    )
    with make_backend(config) as backend:
        results = backend.send(Batch(found.id, found.name, rendered, sender, (to,), now))
    result = results.get(0)
    if result is None or result.outcome not in (Outcome.SENT, Outcome.SANDBOX):
        reason = result.reason if result else "no answer"
        raise DeliveryError(f"test mail to {email}: {reason}; nothing recorded")
    click.echo(f"{found.id}: test mail {rendered.subject!r} sent to {email} (not in the ledger)")


@click.command("preview")
@click.argument("edition", required=False)
@click.option("--at", type=INSTANT, help="Slot of the edition (default: the latest one).")
@click.option(
    "--regions", "regions", multiple=True, metavar="ID", help="A region of the segment (repeat)."
)
@click.option("--locale", type=click.Choice(LOCALES), help="Locale of the segment.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write preview.html/.txt/.md to (default: preview/ beside the outbox, "
    "var/preview in a new site).",
)
@pass_app
def preview(
    app: App,
    edition: str | None,
    at: datetime | None,
    regions: tuple[str, ...],
    locale: str | None,
    out: Path | None,
) -> None:
    """Write the recorded EDITION as a segment would receive it, without sending.

    Prints the subject and preheader and writes the HTML, text and Markdown
    with the links pointing at the site; nothing is sent or recorded."""
    from digest.commands.send import find_edition
    from digest.render.outputs import write_outputs

    found = find_edition(app, app.edition_config(edition).name, at)
    rendered = segment_rendering(app, found, regions, locale)
    target = out or app.config.work_dir("preview")
    stem = f"{found.id}-{rendered.locale}-{'+'.join(sorted(regions)) or 'alle'}"
    files = write_outputs(rendered, stem, target, app.config.site.base_url)
    click.echo(f"subject: {rendered.subject}")
    click.echo(f"preheader: {rendered.preheader}")
    for path in files:
        click.echo(str(path))
