"""``digest parse``: snapshots in, classified items out, without touching the store."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import SourceError
from digest.model import Item

_HEADLINE = 72


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--captured-at",
    type=INSTANT,
    help="Capture time of every file (default: each file's modification time); "
    "without an offset it is a time in the site's time zone.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of items.")
@click.option("--strict", is_flag=True, help="Treat warnings as failures (exit status 1).")
@pass_app
@click.pass_context
def parse(
    ctx: click.Context,
    app: App,
    files: tuple[Path, ...],
    captured_at: datetime | None,
    as_json: bool,
    strict: bool,
) -> None:
    """Parse wire-text snapshot FILES and print their items in source order.

    FILES may also be HTML pages or RSS/Atom feeds: what a file is comes from
    its content, whatever its name.

    Relative times ("15 minuten geleden") count back from the capture time;
    clock times ("gisteren 21:05") are read in the site's time zone. A file
    that cannot be read is reported and the others are still parsed.
    """
    from digest.ingest.pages import read_source

    annotate, _rules = app.classification  # regions and countries, as the README promises
    items: list[Item] = []
    failed = warned = False
    for path in files:
        try:
            read = read_source(
                path, _aware(app, captured_at) if captured_at else None, app.config.zone
            )
        except SourceError as exc:
            click.echo(f"digest: error: {exc}", err=True)
            failed = True
            continue
        result = read.result
        for warning in [*read.warnings, *map(str, result.warnings)]:
            click.echo(f"digest: warning: {warning}", err=True)
            warned = True
        items.extend(annotate(item) for item in result.items)
    _print(items, as_json)
    if failed or (strict and warned):
        ctx.exit(1)


def _aware(app: App, value: datetime) -> datetime:
    """A --captured-at value; one without offset is a wall-clock time in the site zone."""
    return value if value.tzinfo is not None else clock.in_zone(value, app.config.zone)


def _print(items: list[Item], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([item.to_json() for item in items], ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(_row(item))
    articles = sum(item.kind == "article" for item in items)
    click.echo(f"items: {len(items)} (articles: {articles}, briefs: {len(items) - articles})")


def _row(item: Item) -> str:
    """One readable line: time, kind, dateline with agencies, title or opening words."""
    when = item.published_at.strftime("%Y-%m-%d %H:%M") if item.published_at else "undated"
    place = item.dateline or "-"
    if item.agencies:
        place += f" ({'/'.join(item.agencies)})"
    headline = item.title or item.text.replace("\n\n", " ")
    if len(headline) > _HEADLINE:
        headline = headline[: _HEADLINE - 1].rstrip() + "…"
    return f"{when:16}  {item.kind:7}  {place:28}  {headline}"
