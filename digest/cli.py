"""The command line: a thin layer that loads config and calls the library.

Library code raises DigestError; only this module turns it into one line on
stderr and a non-zero exit status.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from digest import __version__
from digest.config import Config, load_config
from digest.errors import ConfigError, DigestError

if TYPE_CHECKING:
    from digest.model import Item
    from digest.regions import Region
    from digest.store import Store


@dataclass
class App:
    """What every command needs, loaded lazily: config, store."""

    config_path: str | None
    strict: bool = False
    quiet: bool = False
    _closers: list[Any] = field(default_factory=list)

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    @cached_property
    def store(self) -> Store:
        from digest.store import open_store

        store = open_store(self.config.database_url)
        self._closers.append(store)
        return store

    @cached_property
    def regions(self) -> tuple[Region, ...]:
        from digest.regions import load_regions

        return load_regions(self.config.resolve(self.config.site.regions))

    @cached_property
    def classification(self) -> tuple[Callable[[Item], Item], str]:
        """The annotate function for items and the fingerprint of the region rules."""
        from digest.classify import Classifier

        # Stories classified under other rules (or another release) are redone.
        rules = f"{__version__}|{self.regions!r}".encode()
        return Classifier(self.regions).annotate, hashlib.sha256(rules).hexdigest()[:16]

    def require_region(self, region_id: str) -> None:
        known = [r.id for r in self.regions]
        if region_id not in known:
            raise ConfigError(
                str(self.config.resolve(self.config.site.regions)),
                [f"no region {region_id!r}; known: {', '.join(known)}"],
            )

    def close(self) -> None:
        for closer in self._closers:
            closer.close()


pass_app = click.make_pass_decorator(App)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DIGEST_CONFIG",
    help="The digest.toml to use (default: config/digest.toml; or $DIGEST_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """Dutch wire news into scheduled, region-grouped newsletters and an archive."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="digest: %(levelname)s: %(message)s", stream=sys.stderr)
    app = App(str(config_path) if config_path else None)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    from digest.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run, and turn DigestError into one line."""
    try:
        status = cli.main(args=argv, prog_name="digest", standalone_mode=False)
    except DigestError as exc:
        click.echo(f"digest: error: {exc}", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("digest: aborted", err=True)
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
