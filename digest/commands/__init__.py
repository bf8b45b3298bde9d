"""Commands: the command line's arguments in, calls into the stages out; one module each.

The group imports a command's module only when that command runs (or shows its
help), so ``digest --help`` never loads the stages. ``SUMMARIES`` is the
one-line help of each command as ``digest --help`` lists it; a test checks it
against each command's own docstring.
"""

from __future__ import annotations

import importlib

import click

# command name -> (module under digest.commands, attribute, short help)
REGISTRY: dict[str, tuple[str, str, str]] = {
    "briefs": (
        "ingest",
        "briefs",
        "List stored stories, newest first, one entry per story.",
    ),
    "build": (
        "build",
        "build",
        "Build EDITION (default: the first configured) and write its files.",
    ),
    "classify": (
        "ingest",
        "classify",
        "Re-classify stored stories under the current regions file.",
    ),
    "explain": (
        "explain",
        "explain",
        "Parse snapshot FILES and show, for every item, the words that matched a country or"
        " a region keyword, the countries it is about, and why each configured region was"
        " chosen or not.",
    ),
    "ingest": (
        "ingest",
        "ingest",
        "Store the briefs of snapshot files and folders (default: the configured sources).",
    ),
    "init": (
        "init",
        "init",
        "Write a commented starter digest.toml and regions.toml into DIRECTORY (default:"
        " the current folder), with the sample snapshots as the source.",
    ),
    "parse": (
        "parse",
        "parse",
        "Parse wire-text snapshot FILES and print their items in source order.",
    ),
    "preview": (
        "trial",
        "preview",
        "Write the recorded EDITION as a segment would receive it, without sending.",
    ),
    "publish": (
        "publish",
        "publish",
        "Publish every recorded edition to the static archive.",
    ),
    "consent": (
        "consent",
        "consent",
        "The consent log: check that no entry was changed.",
    ),
    "editions": (
        "editions",
        "editions",
        "The editor's controls: list, show, approve, hold or cancel an edition.",
    ),
    "run": (
        "run",
        "run",
        "Ingest the sources, then build, publish and deliver each due edition.",
    ),
    "schedule": (
        "schedule",
        "schedule",
        "Run each edition at its cron time and read each source every `every`.",
    ),
    "send": (
        "send",
        "send",
        "Send the recorded EDITION (default: the first configured) to its subscribers.",
    ),
    "serve": (
        "serve",
        "serve",
        "Run the sign-up, preferences and unsubscribe pages and the SendGrid webhook.",
    ),
    "subscribers": (
        "subscribers",
        "subscribers",
        "Who gets the editions: add, import, list, editions, consent, remove, prune, export.",
    ),
}


def load_command(name: str) -> click.Command:
    """The command ``name``, importing its module now."""
    module, attribute, _ = REGISTRY[name]
    command = getattr(importlib.import_module(f"digest.commands.{module}"), attribute)
    assert isinstance(command, click.Command)
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(REGISTRY)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in REGISTRY else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, REGISTRY[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
