"""``digest run``: the whole job once, fit for cron and systemd timers.

Exit status 0 when everything due was done (or another run has it, or
nothing was due), 1 when a source or an edition failed (one line each on
stderr). ``--quiet`` prints nothing on success.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import DigestError

if TYPE_CHECKING:
    from digest.schedule.job import RunReport


@click.command("run")
@click.argument("edition", required=False)
@click.option("--at", type=INSTANT, help="Run as if it were this time (ISO 8601).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something failed.")
@click.option("--force", is_flag=True, help="Re-run EDITION's latest slot even if it was done.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before --force.")
@pass_app
@click.pass_context
def run(
    ctx: click.Context,
    app: App,
    edition: str | None,
    at: datetime | None,
    quiet: bool,
    force: bool,
    yes: bool,
) -> None:
    """Ingest the sources, then build, publish and deliver each due edition.

    An edition is due when its cron time (in the site's time zone) passed at
    most [schedule] misfire_grace ago; of several missed slots only the latest
    runs. Each slot runs once: a run that finds the slot claimed by another
    says so and does nothing; one that died half-way is resumed by the next.
    --force re-runs EDITION's latest slot; mail already sent is never resent.
    """
    from digest.schedule.job import run_job

    app.require_secrets()  # refuse before ingesting or claiming anything
    if edition is not None:
        app.edition_config(edition)
    instant = clock.in_zone(at, app.config.zone) if at else clock.now()
    if force:
        _confirm_force(app, edition, instant, yes)
    report = run_job(app, edition, instant, force=force)
    from digest.commands.subscribers import prune_pending_signups

    pruned = prune_pending_signups(app, instant)  # unconfirmed sign-ups are not kept for ever
    if not quiet and not pruned.startswith("pruned 0 "):
        click.echo(pruned)
    ctx.exit(_report(app, report, quiet))


def _confirm_force(app: App, edition: str | None, at: datetime, yes: bool) -> None:
    from digest.schedule.job import due_slots

    if edition is None:
        raise click.UsageError("--force needs an EDITION: name the edition to re-run")
    slots = due_slots(app.config, edition, at, force=True)
    if not slots:
        when = clock.moment(at, app.config.zone)
        raise DigestError(f"edition {edition!r} has no slot at or before {when}")
    slot = slots[0][1]
    question = (
        f"Re-run {slot} (slot time {clock.moment(slot.at, app.config.zone)})? "
        "Its edition stays as recorded; subscribers who already got it get nothing new"
    )
    if not yes:
        click.confirm(question, abort=True, err=True)


def _report(app: App, report: RunReport, quiet: bool) -> int:
    for failure in report.failures:
        click.echo(f"digest: error: {failure}", err=True)
    for run in report.editions:
        if run.notice:
            click.echo(f"digest: warning: {run.notice}", err=True)
    if not quiet:
        for source in report.sources:
            for warning in source.warnings:
                click.echo(f"digest: warning: {warning}", err=True)
            click.echo(f"source {source.name}: {source.summary}")
        for done in report.editions:
            resumed = f" (resumed the run of {done.resumed_from})" if done.resumed_from else ""
            if done.status != "failed":
                click.echo(f"{done.slot}: {done.status}: {done.message}{resumed}")
        if not report.due:
            click.echo(_nothing_due(app, report.at))
    return 0 if report.ok else 1


def _nothing_due(app: App, at: datetime) -> str:
    from digest.schedule.slots import cron_trigger

    zone = app.config.zone
    upcoming = []
    for ec in [e for e in app.config.editions if e.kind != "extra"]:
        fire = cron_trigger(ec.cron, zone, edition=ec.name).get_next_fire_time(None, at)
        if fire is not None:
            upcoming.append(f"{ec.name} {fire.astimezone(zone):%Y-%m-%d %H:%M}")
    nxt = f"; next: {', '.join(upcoming)}" if upcoming else ""
    return f"no edition due at {clock.moment(at, zone)}{nxt}"
