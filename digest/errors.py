"""One exception family for the whole package.

Every message names the file, field or value at fault and says what to do.
Only the CLI (and the web layer) turn these into output and exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``"1 edition"``, ``"2 editions"``: a count for an operator message."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


class DigestError(Exception):
    """Base of every error digest raises on purpose."""


class ConfigError(DigestError):
    """A configuration file or value is wrong; the message lists every problem."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        self.lines = [f"{path}: {p}" for p in problems]
        super().__init__("\n".join(self.lines))

    @classmethod
    def combine(cls, errors: Sequence[ConfigError]) -> ConfigError:
        """One error listing the problems of several files (settings, then regions)."""
        combined = cls(errors[0].path, [p for e in errors for p in e.problems])
        combined.lines = [line for e in errors for line in e.lines]
        combined.args = ("\n".join(combined.lines),)
        return combined


class SourceError(DigestError):
    """A source (file, folder, feed) could not be read or decoded."""


class StoreError(DigestError):
    """The database could not be opened, migrated or written."""


class DeliveryError(DigestError):
    """A message could not be handed to the delivery backend."""


class PublishError(DigestError):
    """The archive could not be written."""
