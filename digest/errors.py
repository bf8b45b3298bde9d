"""One exception family for the whole package.

Every message names the file, field or value at fault and says what to do.
Only the CLI (and the web layer) turn these into output and exit codes.
"""

from __future__ import annotations


class DigestError(Exception):
    """Base of every error digest raises on purpose."""


class ConfigError(DigestError):
    """A configuration file or value is wrong; the message lists every problem."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the configuration:\n{lines}")


class SourceError(DigestError):
    """A source (file, folder, feed) could not be read or decoded."""


class StoreError(DigestError):
    """The database could not be opened, migrated or written."""


class DeliveryError(DigestError):
    """A message could not be handed to the delivery backend."""


class PublishError(DigestError):
    """The archive could not be written."""
