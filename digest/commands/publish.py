"""``digest publish``: write the static archive (pages, feeds, sitemap, search)."""

from __future__ import annotations

from pathlib import Path

import click

from digest.commands.app import App, pass_app


@click.command("publish")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive folder (a link to the live generation; default: [archive] dir).",
)
@click.option("--no-search", is_flag=True, help="Leave out the Pagefind search index.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line on success.")
@pass_app
def publish(app: App, out: Path | None, no_search: bool, quiet: bool) -> None:
    """Publish every recorded edition to the static archive.

    Only what changed is written, into a new generation that replaces the
    live one in a single step: a failed publish leaves the archive as it was.
    """
    from digest.config import resolve_beside
    from digest.publish import publish_archive

    report = publish_archive(
        app.store,
        app.config,
        # named, not followed: the archive is a link to its live generation
        out=resolve_beside(Path.cwd(), out) if out else None,
        search=not no_search,
    )
    if not quiet:
        click.echo(report.summary())
