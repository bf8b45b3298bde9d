"""One module per command; each exposes a click command, collected here."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
