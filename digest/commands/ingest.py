"""``digest ingest`` and ``digest briefs``: fill the store and look into it."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import plural

if TYPE_CHECKING:
    from digest.ingest.load import FileReport, IngestReport

PROGRESS_FROM = 20  # files; fewer finish before a bar would help


def run_ingest(
    app: App, paths: list[Path], captured_at: datetime | None, show_progress: bool
) -> IngestReport:
    """Ingest ``paths`` into the app's store, classifying with the app's regions."""
    from digest.ingest.load import ingest_lock, ingest_paths
    from digest.ingest.sources import expand_paths

    annotate, fingerprint = app.classification
    files = list(expand_paths(paths))
    ingest = partial(
        ingest_paths,
        app.store,
        files,
        now=clock.now(),
        captured_at=clock.in_zone(captured_at, app.config.zone) if captured_at else None,
        annotate=annotate,
        classified_with=fingerprint,
        zone=app.config.zone,
    )
    if not show_progress or len(files) < PROGRESS_FROM:
        with ingest_lock(app.store):  # one ingestion at a time per database
            return ingest()
    with (
        ingest_lock(app.store),
        click.progressbar(length=len(files), label="ingest", file=sys.stderr) as bar,
    ):

        def tick(_: FileReport) -> None:
            bar.update(1)

        return ingest(progress=tick)


def report_ingest(report: IngestReport, *, per_file: bool, strict: bool, quiet: bool) -> int:
    """Print errors, warnings and the summary; the exit status of the run."""
    for warning in report.warnings:
        click.echo(f"digest: warning: {warning}", err=True)
    for bad in report.failed:
        click.echo(f"digest: error: {bad.error}", err=True)
    if per_file:
        for file_report in report.files:
            click.echo(f"{file_report.name}: {file_report.status}")
    if not quiet:
        click.echo(report.summary())
    failed = bool(report.failed) or (strict and bool(report.warnings))
    return 1 if failed else 0


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--captured-at", type=INSTANT, help="Capture time (default: file mtime).")
@click.option("--per-file", is_flag=True, help="A line per file: new / known / updated / failed.")
@click.option("--strict", is_flag=True, help="Treat warnings as failures.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line on success.")
@pass_app
@click.pass_context
def ingest(
    ctx: click.Context,
    app: App,
    paths: tuple[Path, ...],
    captured_at: datetime | None,
    per_file: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """Store the briefs of snapshot files and folders (default: the configured sources).

    Re-ingesting a snapshot changes nothing; a brief seen in several snapshots
    is one story; a reworded brief is a new revision of its story.
    """
    from digest.ingest.load import reclassify

    if not paths:
        status = ingest_configured(app, captured_at, strict=strict, quiet=quiet)
        reclassify(app.store, *app.classification)
        ctx.exit(status)
    report = run_ingest(app, list(paths), captured_at, show_progress=not quiet)
    reclassify(app.store, *app.classification)
    ctx.exit(report_ingest(report, per_file=per_file, strict=strict, quiet=quiet))


def ingest_configured(app: App, captured_at: datetime | None, *, strict: bool, quiet: bool) -> int:
    """Every configured source, files, folders and URLs, wire text and feeds alike: a
    line per source saying what was read, or why not; the exit status."""
    from digest.schedule.sources import ingest_sources

    now = clock.now()
    when = clock.in_zone(captured_at, app.config.zone) if captured_at else None
    outcomes = ingest_sources(app, at=when or now, now=now, captured_at=when)
    for outcome in outcomes:
        for warning in outcome.warnings:
            click.echo(f"digest: warning: {warning}", err=True)
        for error in outcome.errors:
            click.echo(f"digest: error: {error}", err=True)
    unread = [o for o in outcomes if o.errors]
    if not quiet or unread:
        for outcome in outcomes:
            click.echo(f"source {outcome.name}: {outcome.summary}")
        click.echo(
            f"{plural(len(outcomes), 'source')}: {len(outcomes) - len(unread)} read, "
            f"{len(unread)} with errors"
        )
    warned = any(o.warnings for o in outcomes)
    return 1 if unread or (strict and warned) else 0


@click.command()
@click.option("--all", "everything", is_flag=True, help="Redo every story, not only stale ones.")
@pass_app
def classify(app: App, everything: bool) -> None:
    """Re-classify stored stories under the current regions file.

    Stories are classified when ingested; when the regions file (or digest
    itself) changes, the stories classified under the old rules are redone
    here, and automatically by ingest, build and run.
    """
    from digest.ingest.load import reclassify

    annotate, fingerprint = app.classification
    count = reclassify(app.store, annotate, fingerprint, force=everything)
    click.echo(f"{count} stor{'y' if count == 1 else 'ies'} re-classified")


@click.command()
@click.option("--since", type=INSTANT, help="Only stories published since this time.")
@click.option("--region", help="Only stories of this region id (e.g. groenland).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many stories.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def briefs(
    app: App, since: datetime | None, region: str | None, limit: int | None, as_json: bool
) -> None:
    """List stored stories, newest first, one entry per story."""
    from digest.store.stories import list_stories

    if region is not None:
        app.require_region(region)
    since_at = clock.in_zone(since, app.config.zone) if since else None
    found = list_stories(app.store, since=since_at, region=region)[:limit]
    if as_json:
        click.echo(json.dumps([s.to_json() for s in found], ensure_ascii=False, indent=2))
        return
    zone = app.config.zone
    tags = [f"[{', '.join(story.regions)}]" if story.regions else "" for story in found]
    width = max(map(len, tags), default=0)  # the texts start in one column
    for story, tag in zip(found, tags, strict=True):
        when = (
            story.published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if (story.published_at)
            else "undated         "
        )
        place = (story.dateline or story.title or "")[:24]
        regions = f" {tag:<{width}}" if width else ""
        click.echo(f"{story.id}  {when}  {place:<24}{regions}  {story.text[:60]}")
