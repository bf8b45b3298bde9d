"""What a scheduled run works with: its application, its clock, and what it did per slot."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from digest.config import Config
from digest.errors import DigestError
from digest.schedule.slots import Slot
from digest.store import Store

if TYPE_CHECKING:
    from digest.model import Item, RegionLike


Now = Callable[[], datetime]
log = logging.getLogger("digest.schedule")


def failure_message(slot: Slot, exc: Exception) -> str:
    """The line a slot's failure is closed and reported with. Only an unexpected
    failure (a bug) is logged with its traceback: a DigestError (an SMTP server
    down, a full disk) is already one line, which the run prints."""
    if isinstance(exc, DigestError):
        log.debug("%s: %s", slot, exc)
        return str(exc)
    log.exception("%s: unexpected failure", slot)
    return f"{type(exc).__name__}: {exc}"


class Context(Protocol):
    """What a run needs (``digest.cli.App`` is one)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def regions(self) -> Sequence[RegionLike]: ...

    @property
    def classification(self) -> tuple[Callable[[Item], Item], str]: ...


@dataclass
class EditionRun:
    """What this run did about one slot. ``status``: done, skipped, failed (this
    run did the work); busy (another run holds the slot); finished (done or
    skipped before); helped (sent a share of another runner's delivery);
    waiting (delivered but for uncertain hand-overs that settle later)."""

    slot: Slot
    status: str
    message: str
    edition_id: str | None = None
    resumed_from: str | None = None
    notice: str | None = None  # said once, even by a quiet run (uncertain mails waiting)
