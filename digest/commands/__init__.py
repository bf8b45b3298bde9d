"""One module per command; each exposes a click command, collected here."""

from __future__ import annotations

import click

from digest.commands.build import build
from digest.commands.explain import explain
from digest.commands.parse import parse

COMMANDS: list[click.Command] = [build, explain, parse]
