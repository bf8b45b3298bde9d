"""One module per command; each exposes a click command, collected here."""

from __future__ import annotations

import click

from digest.commands.build import build

COMMANDS: list[click.Command] = [build]
