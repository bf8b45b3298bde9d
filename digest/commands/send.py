"""``digest send``: deliver a recorded edition to its subscribers, once each."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import DeliveryError, DigestError, plural
from digest.model import LOCALES

if TYPE_CHECKING:
    from digest.deliver.report import Progress, SendReport
    from digest.model import Edition

END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


class ProgressLine:
    """Recipients done, rate and failures on stderr: one line redrawn on a
    terminal, a line every ``every`` seconds otherwise."""

    def __init__(self, stream: TextIO, every: float = 10.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = 0.25 if self.tty else every
        self.start = self.last = time.monotonic()
        self.shown = False

    def __call__(self, progress: Progress) -> None:
        moment = time.monotonic()
        if progress.total == 0 or moment - self.last < self.every:
            return
        self.last = moment
        rate = progress.done / max(moment - self.start, 1e-6)
        line = (
            f"{progress.done}/{progress.total} recipients · {rate:,.0f}/s · "
            f"{progress.failed} failed · {progress.uncertain} uncertain"
        )
        self.stream.write(f"\r{line}\x1b[K" if self.tty else f"{line}\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\n")


def find_edition(app: App, name: str, at: datetime | None) -> Edition:
    """The recorded edition of ``name`` at ``at`` (an Extra editie's moment, or
    the latest slot not after it, as ``build --at`` takes it), or the latest one
    of that name."""
    from digest.edition.group import edition_id
    from digest.schedule.slots import latest_slot
    from digest.store.editions import load_edition, previous_edition

    zone = app.config.zone
    if at is not None:
        moment = clock.in_zone(at, zone)
        wanted = edition_id(name, moment, zone)
        found = load_edition(app.store, wanted)
        config = app.config.edition(name)
        if found is None and config.kind != "extra":
            slot = latest_slot(name, config.cron, zone, moment)
            if slot is not None:
                wanted = edition_id(name, slot.at.astimezone(zone), zone)
                found = load_edition(app.store, wanted)
        hint = (
            f"no recorded edition {wanted}; build it first with "
            f"`digest build {name} --at {moment.isoformat()}`"
        )
    else:
        found = previous_edition(app.store, name, END_OF_TIME)
        hint = f"no recorded edition of {name!r}; build one first with `digest build {name}`"
    if found is None:
        raise DeliveryError(hint)
    return found


def _require_approval(app: App, found: Edition) -> None:
    """Refuse an edition an editor has not approved (held, pending, cancelled, expired)."""
    from digest.store.approvals import get_approval

    approval = get_approval(app.store, found.id)
    if approval is not None and approval.state != "approved":
        raise DeliveryError(
            f"edition {found.id} is {approval.state}, not approved; "
            f"`digest editions approve {found.id}` sends it (see `digest editions show`)"
        )


def _print_status(app: App, found: Edition) -> None:
    """The ledger of ``found``: a count per status, uncertain split by what settles it."""
    from digest.deliver import ledger, settle

    counts = ledger.counts(app.store, found.id)
    waiting = settle.waiting(app.store, found.id)
    click.echo(f"{found.id}: {plural(sum(counts.values()), 'subscriber')} in the ledger")
    for status in ledger.STATUSES:
        if counts.get(status):
            click.echo(f"  {status}: {counts[status]}")
    if counts.get(ledger.UNCERTAIN):
        wait = app.config.delivery.resend_uncertain_after
        click.echo(
            f"  uncertain, to settle by provider events or one resend after {wait}: {waiting}"
        )
        stuck = counts[ledger.UNCERTAIN] - waiting
        click.echo(f"  uncertain after the one resend (see --retry-uncertain): {stuck}")


def _preflight(app: App, found: Edition) -> None:
    """Check the whole edition (every segment gets a part of it) in each
    locale; refuse to send on a hard failure, before anything is published.
    Quiet when all is well (``digest build`` prints the full report)."""
    from digest.edition.build import archive_page
    from digest.errors import DigestError
    from digest.render.outputs import render_for_config
    from digest.render.preflight import preflight

    page = archive_page(app.store, app.config, found)
    for locale in LOCALES:
        checks = preflight(render_for_config(found, app.config, locale, page))
        for warning in checks.warnings:
            click.echo(f"digest: warning: pre-flight ({locale}): {warning}", err=True)
        if not checks.ok:
            raise DigestError(
                f"edition {found.id} ({locale}): pre-flight failed ({'; '.join(checks.errors)}); "
                "nothing sent; fix the templates or the edition and send again"
            )


def _print(report: SendReport) -> None:
    for segment in report.segments:
        click.echo(segment.describe())
    for email, status, reason in report.problems:
        click.echo(f"digest: {status}: {email}: {reason}", err=True)
    click.echo(report.summary())


@click.command("send")
@click.argument("edition", required=False)
@click.option("--at", type=INSTANT, help="Slot of the edition (default: the latest one).")
@click.option("--dry-run", is_flag=True, help="Show per segment who would get what; send nothing.")
@click.option("--to", "only", metavar="ADDRESS", help="Send only to this (active) subscriber.")
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="Show how many mails of the edition are sent, pending, uncertain...; send nothing.",
)
@click.option(
    "--retry-uncertain",
    is_flag=True,
    help="Also resend mails whose earlier hand-over got no answer (may duplicate).",
)
@click.option(
    "--test",
    "test_address",
    metavar="ADDRESS",
    help="Send the edition as the segment of --regions/--locale to ADDRESS, marked [TEST], "
    "outside the ledger.",
)
@click.option(
    "--regions", multiple=True, metavar="ID", help="With --test: a region of the segment (repeat)."
)
@click.option("--locale", type=click.Choice(LOCALES), help="With --test: the segment's locale.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Runner processes sharing the edition through the ledger's claims (PostgreSQL).",
)
@pass_app
def send(
    app: App,
    edition: str | None,
    at: datetime | None,
    dry_run: bool,
    only: str | None,
    show_status: bool,
    retry_uncertain: bool,
    test_address: str | None,
    regions: tuple[str, ...],
    locale: str | None,
    workers: int,
) -> None:
    """Send the recorded EDITION (default: the first configured) to its subscribers.

    The archive is published first, so that the mail's "Bekijk online" link
    works. Safe to repeat: every subscriber gets each edition once; a rerun resumes
    where an interrupted run stopped and retries failed mails. Exits 1 when
    mails are left failed or uncertain.
    """
    from digest.deliver.send import send_edition
    from digest.tokens import TokenSigner, secret_key

    if (regions or locale) and not test_address:
        raise DigestError("--regions and --locale go with --test ADDRESS")
    if workers > 1 and (dry_run or only or test_address):
        raise DeliveryError(
            "--workers: not with --dry-run, --to or --test, which concern one runner"
        )
    if (
        not show_status and not test_address
    ):  # refuse before any work; --status only reads the ledger
        app.require_secrets()
    found = find_edition(app, app.edition_config(edition).name, at)
    if test_address:
        from digest.commands.trial import send_test

        _preflight(app, found)
        send_test(app, found, test_address, regions, locale)
        return
    if show_status:
        _print_status(app, found)
        return
    _require_approval(app, found)
    _preflight(app, found)
    signer = TokenSigner(secret_key())
    if not dry_run:  # the mail links to its archive page: publish first, as `digest run` does
        from digest.publish import publish_archive
        from digest.schedule.steps import archive_link

        publish_archive(app.store, app.config, out=archive_link(app.config))
    if workers > 1:
        from digest.deliver.workers import send_with_workers

        report = send_with_workers(
            app.store, app.config, found, workers=workers, now=clock.now(), signer=signer,
            retry_uncertain=retry_uncertain,
        )  # fmt: skip
        _finish(report)
        return
    progress = ProgressLine(sys.stderr)
    try:
        report = send_edition(
            app.store,
            app.config,
            found,
            now=clock.now(),
            signer=signer,
            dry_run=dry_run,
            only=only,
            progress=progress,
            retry_uncertain=retry_uncertain,
        )
    finally:
        progress.close()
    _finish(report)


def _finish(report: SendReport) -> None:
    _print(report)
    if not report.dry_run and not report.ok:
        left = report.after
        stuck = left.get("uncertain", 0) - report.waiting
        raise DeliveryError(
            f"{plural(left.get('failed', 0), 'mail')} failed and {stuck} uncertain after their "
            "one resend (listed above); run `digest send` again to retry the failed ones, "
            "`digest send --retry-uncertain` to resend the uncertain ones"
        )
