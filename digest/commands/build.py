"""``digest build``: build (or fetch the recorded) edition and write its files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from digest import clock
from digest.commands.app import INSTANT, App, pass_app
from digest.errors import plural
from digest.model import LOCALES

if TYPE_CHECKING:
    from digest.edition.build import BuildResult


@click.command("build")
@click.argument("edition", required=False)
@click.option(
    "--at",
    type=INSTANT,
    help="Build as if run at this moment, ISO 8601 (default: now): the latest slot not after it.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for <date>-<edition>.html/.txt/.md (default: editions/ beside the outbox).",
)
@click.option("--locale", type=click.Choice(LOCALES), help="Interface language (default: [site]).")
@click.option(
    "--note",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Editor's note in Markdown (overrides [[editions]] note).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the edition as JSON.")
@click.option("--rebuild", is_flag=True, help="Replace the recorded edition if it was never sent.")
@pass_app
def build(
    app: App,
    edition: str | None,
    at: datetime | None,
    out: Path | None,
    locale: str | None,
    note: Path | None,
    as_json: bool,
    rebuild: bool,
) -> None:
    """Build EDITION (default: the first configured) and write its files.

    The slot is the one ``digest run`` would build at --at (default now): the
    latest time of the edition's cron not after it. The window runs from the
    end of the site's previous edition to that moment. A built edition is
    recorded and immutable: building the same slot again gives it back. With
    --at later than now the edition is a preview: written, not recorded.
    """
    from digest.edition.build import archive_page, build_edition, read_note
    from digest.errors import DigestError
    from digest.ingest.load import reclassify
    from digest.render.outputs import output_stem, render_for_config, write_outputs
    from digest.render.preflight import preflight
    from digest.schedule.slots import latest_slot

    config = app.config
    edition_config = app.edition_config(edition)
    if edition_config.kind == "extra":
        raise DigestError(
            f"edition {edition_config.name!r} is an Extra editie: it has no slot to build; "
            "`digest run` fires it when the news bursts (`digest editions list` shows its rule)"
        )
    moment = clock.in_zone(at, config.zone) if at else clock.now().astimezone(config.zone)
    slot = latest_slot(edition_config.name, edition_config.cron, config.zone, moment)
    if slot is None:
        raise DigestError(
            f"edition {edition_config.name!r}: its cron {edition_config.cron!r} has no time "
            f"before {clock.moment(moment, config.zone)}; pass a later --at"
        )
    reclassify(app.store, *app.classification)  # stories stored under older region rules
    result = build_edition(
        app.store,
        config,
        edition_config,
        app.regions,
        at=slot.at,
        window_end=moment,
        note_markdown=read_note(config, edition_config, note),
        rebuild=rebuild,
        # A moment after now is a preview: recorded, it would carry stories (and
        # move the site's timeline) for days before real editions could.
        record=moment <= clock.now(),
    )
    files: list[Path] = []
    if result.skipped is None and edition_config.approval and moment <= clock.now():
        from digest.config import parse_duration
        from digest.store.approvals import request_approval

        deadline = moment + parse_duration(edition_config.approval_timeout)
        request_approval(app.store, result.edition, slot.key, now=moment, deadline=deadline)
    checks = None
    if result.skipped is None:
        page = archive_page(app.store, config, result.edition)
        rendered = render_for_config(result.edition, config, locale or config.site.locale, page)
        target = out or config.work_dir("editions")
        files = write_outputs(rendered, output_stem(result.edition), target, config.site.base_url)
        checks = preflight(rendered)
    _report(result, files, as_json)
    if checks is not None:  # on stderr, so that --json stays one JSON document
        click.echo(checks.describe(), err=True)


def _report(result: BuildResult, files: list[Path], as_json: bool) -> None:
    from digest.store.editions import edition_to_json

    if as_json:
        payload: dict[str, Any] = {
            **edition_to_json(result.edition),
            "status": result.status,
            "skip_reason": result.skipped,
            "files": [str(f) for f in files],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    edition = result.edition
    if result.skipped is not None:
        click.echo(f"digest: {result.skipped}; nothing written", err=True)
        return
    click.echo(
        f"{edition.id}: {plural(edition.story_count, 'story', 'stories')} in "
        f"{plural(len(edition.sections), 'section')} "
        f"({result.status})"
    )
    for path in files:
        click.echo(str(path))
