"""The command line: a thin layer that loads config and calls the library.

Library code raises DigestError; only this module turns it into one line on
stderr and a non-zero exit status.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest import __version__
from digest.commands import LazyGroup
from digest.errors import DigestError

if TYPE_CHECKING:
    pass


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DIGEST_CONFIG",
    help="The digest.toml to use (default: ./digest.toml, else the checkout's "
    "config/digest.toml; or $DIGEST_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """Dutch wire news into scheduled, region-grouped newsletters and an archive."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="digest: %(levelname)s: %(message)s", stream=sys.stderr)
    from digest.commands.app import App

    app = App(str(config_path) if config_path else None)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run, and turn DigestError into one line."""
    try:
        with _terminate_as_interrupt():
            status = cli.main(args=argv, prog_name="digest", standalone_mode=False)
    except DigestError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(f"digest: error: {line}", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("digest: aborted", err=True)
        return 1
    except OSError as exc:  # a file digest could not read or write: permissions, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"digest: error: {where}{exc.strerror or exc}", err=True)
        return 1
    except Exception as exc:
        message = _database_failure(exc)
        if message is None:
            raise
        click.echo(f"digest: error: {message}", err=True)
        return 1
    return status if isinstance(status, int) else 0


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (systemd stopping a service, a shutdown) stops a command as Ctrl-C
    does: the mail in flight is settled or given back, never left "sending" to be
    sent twice. ``digest schedule`` sets handlers of its own; a handler someone
    else set is kept."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main_thread else None
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _database_failure(exc: Exception) -> str | None:
    """One line for a database error no stage turned into a StoreError (a damaged
    file met half-way through a command); ``None`` for anything else."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from digest.store import describe_error

    return f"database: {describe_error(exc)}" if isinstance(exc, SQLAlchemyError) else None


if __name__ == "__main__":
    sys.exit(main())
