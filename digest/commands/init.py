"""``digest init [DIR]``: a starter site (settings, regions, sample snapshots)."""

from __future__ import annotations

from pathlib import Path

import click

from digest.errors import plural

SITE_CONFIG = "digest.toml"  # as digest.config names it; not imported, to keep --help fast


def starter_files() -> dict[str, Path]:
    """Every file ``digest init`` writes (relative to the site folder) and the
    packaged file it is copied from."""
    from digest.config import RESOURCES

    files = {
        SITE_CONFIG: RESOURCES / "starter" / "digest.toml",
        "regions.toml": RESOURCES / "config" / "regions.toml",
    }
    seeds = sorted((RESOURCES / "seeds").glob("*.txt"))
    files.update({f"seeds/{seed.name}": seed for seed in seeds})
    return files


@click.command("init")
@click.argument(
    "directory",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, force: bool) -> None:
    """Write a commented starter digest.toml and regions.toml into DIRECTORY
    (default: the current folder), with the sample snapshots as the source."""
    files = starter_files()
    existing = [name for name in files if (directory / name).exists()]
    if existing and not force:
        raise click.UsageError(
            f"{directory / existing[0]} already exists; pass --force to overwrite "
            "or choose another DIRECTORY"
        )
    for name, source in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    config = directory / SITE_CONFIG
    samples = plural(len(files) - 2, "sample snapshot")
    click.echo(
        f"wrote {config}, {directory / 'regions.toml'} and {samples} in {directory / 'seeds'}"
    )
    click.echo("next: set DIGEST_SECRET_KEY (a long random string), then run")
    click.echo(f"  digest --config {config} run")
