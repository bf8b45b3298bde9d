"""Commands: the command line's arguments in, calls into the stages out; one module each."""

from __future__ import annotations

import click

from digest.commands.build import build
from digest.commands.explain import explain
from digest.commands.ingest import briefs, classify, ingest
from digest.commands.parse import parse
from digest.commands.publish import publish
from digest.commands.run import run
from digest.commands.schedule import schedule
from digest.commands.send import send
from digest.commands.serve import serve
from digest.commands.subscribers import subscribers

COMMANDS: list[click.Command] = [build, explain, parse, ingest, briefs, classify]
COMMANDS += [send, subscribers]
COMMANDS += [run, schedule]
COMMANDS += [publish]
COMMANDS += [serve]
