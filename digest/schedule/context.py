"""What a scheduled run works with: its application, its clock, and what it did per slot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from digest.config import Config
from digest.schedule.slots import Slot
from digest.store import Store

if TYPE_CHECKING:
    from digest.model import Item, RegionLike


Now = Callable[[], datetime]


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
