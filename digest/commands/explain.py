"""``digest explain``: show, per item, which words put it in which region."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import DigestError, plural
from digest.model import Item


@click.command("explain")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--captured-at",
    type=INSTANT,
    help="Capture time of the snapshots (ISO 8601); default: each file's modification time.",
)
@click.option(
    "--item", "number", type=click.IntRange(min=1), help="Only the Nth item of each file."
)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON array of items with their evidence."
)
@pass_app
def explain(
    app: App,
    files: tuple[Path, ...],
    captured_at: datetime | None,
    number: int | None,
    as_json: bool,
) -> None:
    """Parse snapshot FILES and show, for every item, the words that matched a
    country or a region keyword, the countries it is about, and why each
    configured region was chosen or not."""
    from digest.classify.classifier import Classifier
    from digest.ingest.pages import read_source

    classifier = Classifier(app.regions)
    when = clock.in_zone(captured_at, app.config.zone) if captured_at else None
    records: list[dict[str, Any]] = []
    failed = 0
    for path in files:
        try:
            items = read_source(path, when, app.config.zone).result.items
        except DigestError as exc:
            click.echo(f"digest: error: {exc}", err=True)
            failed += 1
            continue
        if number is not None and number > len(items):
            click.echo(
                f"digest: warning: {path} has {plural(len(items), 'item')}, no item {number}",
                err=True,
            )
        for index, item in _chosen(items, number):
            if as_json:
                records.append(_record(item, index, classifier.classify(item).to_json()))
            else:
                click.echo(f"{path} #{index}: {classifier.explain(item)}\n")
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    if failed:
        raise click.exceptions.Exit(1)


def _chosen(items: tuple[Item, ...], number: int | None) -> list[tuple[int, Item]]:
    numbered = list(enumerate(items, start=1))
    return [(i, item) for i, item in numbered if number is None or i == number]


def _record(item: Item, index: int, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": item.source,
        "item": index,
        "title": item.title,
        "dateline": item.dateline,
        "text": item.text,
        **result,
    }
