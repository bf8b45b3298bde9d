"""``digest editions list|show|approve|hold|cancel``: the editor's controls for
editions that wait for approval (``[[editions]] approval = true``)."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import datetime
from typing import TYPE_CHECKING

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import DigestError, plural

if TYPE_CHECKING:
    from digest.config import EditionConfig
    from digest.store.approvals import Approval, State


def _editor() -> str:
    """Who decided, for the record: ``user@host``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _find(app: App, edition: str, *, open_only: bool) -> Approval:
    """The approval an EDITION argument names: an edition id, or a name (its newest)."""
    from digest.store.approvals import OPEN, get_approval, list_approvals

    exact = get_approval(app.store, edition)
    if exact is not None:
        return exact
    names = [e.name for e in app.config.editions]
    if edition not in names:
        raise click.BadParameter(
            f"no edition {edition!r}; give an edition name ({', '.join(names)}) "
            "or an id from `digest editions list`",
            param_hint="EDITION",
        )
    found = list_approvals(app.store, edition, states=OPEN if open_only else None)
    if not found:
        waiting = " waits for approval" if open_only else " was ever held for approval"
        raise DigestError(f"no edition of {edition!r}{waiting}; see `digest editions list`")
    return found[0]


def _line(app: App, approval: Approval) -> str:
    zone = app.config.zone
    line = (
        f"{approval.edition_id}  {approval.state}  "
        f"{plural(approval.story_count, 'story', 'stories')}  "
        f"deadline {clock.moment(approval.deadline, zone)}"
    )
    if approval.decided_at is not None:
        line += (
            f"  {approval.state} {clock.moment(approval.decided_at, zone)} by {approval.decided_by}"
        )
    return line + (f"  note: {approval.note}" if approval.note else "")


@click.group("editions")
def editions() -> None:
    """The editor's controls: list, show, approve, hold or cancel an edition."""


@editions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """The configured editions, then every edition held for approval (newest first)."""
    from digest.store.approvals import list_approvals

    found = list_approvals(app.store)
    if as_json:
        click.echo(json.dumps([a.to_json() for a in found], ensure_ascii=False, indent=2))
        return
    for ec in app.config.editions:
        waits = f", approval within {ec.approval_timeout}" if ec.approval else ""
        click.echo(f"{ec.name}  {ec.title}  {_when(ec)}{waits}")
    for approval in found:
        click.echo(_line(app, approval))
    click.echo(plural(len(found), "edition") + " held for approval", err=True)


def _when(ec: EditionConfig) -> str:
    """``cron 0 7 * * *``, ``weekly, cron 0 9 * * 0`` or the Extra editie's rule."""
    if ec.kind == "extra":
        quiet = f", quiet {ec.quiet_hours}" if ec.quiet_hours else ""
        words = f" or a keyword ({', '.join(ec.keywords)})" if ec.keywords else ""
        return (
            f"extra: {ec.min_briefs} new briefs of a region within {ec.within_minutes} "
            f"minutes{words}{quiet}, at most {ec.daily_cap} a day"
        )
    return f"{'weekly, ' if ec.kind == 'weekly' else ''}cron {ec.cron}"


@editions.command("show")
@click.argument("edition")
@click.option("--json", "as_json", is_flag=True, help="Print the approval and the edition.")
@pass_app
def show(app: App, edition: str, as_json: bool) -> None:
    """What EDITION (a name: its newest; or an id) holds and where its approval stands."""
    from digest.store.editions import edition_to_json, load_edition

    approval = _find(app, edition, open_only=False)
    recorded = load_edition(app.store, approval.edition_id)
    if as_json:
        body = approval.to_json() | {"edition": edition_to_json(recorded) if recorded else None}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(_line(app, approval))
    if recorded is None:
        click.echo("  (discarded: never sent; its news went to the next edition)")
        return
    for section in recorded.sections:
        click.echo(f"  {section.title} ({len(section.briefs)})")
        for brief in section.briefs:
            text = " ".join(brief.story.text.split())
            place = f"{brief.story.dateline} - " if brief.story.dateline else ""
            click.echo(f"    {place}{text[:100]}{'…' if len(text) > 100 else ''}")


def _decide(app: App, edition: str, state: State, at: datetime | None, note: str | None) -> None:
    from digest.store.approvals import ApprovalError, decide

    approval = _find(app, edition, open_only=True)
    moment = clock.in_zone(at, app.config.zone) if at else clock.now()
    if moment >= approval.deadline:
        raise ApprovalError(
            f"{approval.edition_id}: the time for approval ran out at "
            f"{clock.moment(approval.deadline, app.config.zone)}; it is skipped, not sent late"
        )
    if state == "held" and approval.state == "held":
        click.echo(f"{approval.edition_id} is already held")
        return
    decided = decide(app.store, approval, state, now=moment, by=_editor(), note=note)
    click.echo(_line(app, decided))


def _send_approved(app: App, name: str, at: datetime | None) -> int:
    """Deliver what was just approved now, as the next run would: under the slot's claim."""
    from digest.schedule.approval import settle_approvals
    from digest.schedule.claims import DEFAULT_LEASE, new_owner

    app.require_secrets()
    moment = clock.in_zone(at, app.config.zone) if at else clock.now()
    runs = settle_approvals(app, new_owner(), [name], at=moment, now=clock.now, lease=DEFAULT_LEASE)
    for run in runs:
        click.echo(f"{run.slot}: {run.status}: {run.message}")
    if not runs:
        click.echo("another run has the slot; it sends the edition")
    return 1 if any(run.status == "failed" for run in runs) else 0


@editions.command("approve")
@click.argument("edition")
@click.option("--note", help="Why, for the record (shown by list and show).")
@click.option("--at", type=INSTANT, help="Decide as if it were this time (ISO 8601).")
@click.option(
    "--send/--no-send",
    default=True,
    help="Publish and deliver it now (default), or leave that to the next `digest run`.",
)
@pass_app
@click.pass_context
def approve(
    ctx: click.Context, app: App, edition: str, note: str | None, at: datetime | None, send: bool
) -> None:
    """Approve EDITION (a name: its newest waiting edition; or an id): it is
    archived and mailed, once, now or by the next run."""
    if send:
        app.require_secrets()  # refuse before deciding anything
    _decide(app, edition, "approved", at, note)
    if send:
        ctx.exit(_send_approved(app, _find(app, edition, open_only=False).edition_name, at))


@editions.command("hold")
@click.argument("edition")
@click.option("--note", help="Why, for the record.")
@click.option("--at", type=INSTANT, help="Decide as if it were this time (ISO 8601).")
@pass_app
def hold(app: App, edition: str, note: str | None, at: datetime | None) -> None:
    """Hold EDITION: not archived or mailed until approved; skipped at its deadline."""
    _decide(app, edition, "held", at, note)


@editions.command("cancel")
@click.argument("edition")
@click.option("--note", help="Why, for the record.")
@click.option("--at", type=INSTANT, help="Decide as if it were this time (ISO 8601).")
@pass_app
def cancel(app: App, edition: str, note: str | None, at: datetime | None) -> None:
    """Cancel EDITION: never archived or mailed; the next edition carries its news."""
    _decide(app, edition, "cancelled", at, note)
