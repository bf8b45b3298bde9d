"""Selection: which stories belong in an edition's window, and how recent each is.

Pure: stories and instants in, decisions out; no clock, no store.

A story belongs to the window ``(start, end]`` when it was *first seen* in it:
readers of the previous edition of that name (whose window ended at
``start``) cannot have read it. A story first seen earlier but reworded in the
window (``updated_at`` in it) comes back marked as updated. Recency bands
compare the publication time with the edition slot in the site's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from digest.model import Story

HOUR = timedelta(hours=1)


def in_window(moment: datetime | None, start: datetime, end: datetime) -> bool:
    """``start < moment <= end``; ``None`` is never in a window."""
    return moment is not None and start < moment <= end


def select_stories(
    stories: Iterable[Story], *, window_start: datetime, window_end: datetime
) -> list[tuple[Story, bool]]:
    """The stories of the window with an ``updated`` flag, each story once, in input order."""
    chosen: dict[str, tuple[Story, bool]] = {}
    for story in stories:
        if story.id in chosen:
            continue
        if in_window(story.first_seen, window_start, window_end):
            chosen[story.id] = (story, False)
        elif story.first_seen <= window_start and in_window(
            story.updated_at, window_start, window_end
        ):
            chosen[story.id] = (story, True)
    return list(chosen.values())


def recency_band(story: Story, slot: datetime, zone: ZoneInfo) -> str:
    """``lead``, ``hour``, ``today``, ``yesterday``, ``earlier`` or ``undated``.

    "today" and "yesterday" are calendar days of the slot in ``zone``.
    """
    if story.kind == "article" and story.published_at is None:
        return "lead"
    if story.published_at is None:
        return "undated"
    if slot - story.published_at <= HOUR:
        return "hour"
    days = (slot.astimezone(zone).date() - story.published_at.astimezone(zone).date()).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else "earlier"


def band_sort_key(story: Story, band_index: int) -> tuple[int, float, str]:
    """Band order first, then newest first, then story id for a stable order."""
    stamp = story.published_at.timestamp() if story.published_at else 0.0
    return (band_index, -stamp, story.id)


def edition_window(
    slot: datetime,
    previous_end: datetime | None,
    lookback: timedelta,
    end: datetime | None = None,
) -> tuple[datetime, datetime]:
    """``(start, end)`` of the edition at ``slot``: from the end of the previous
    edition of that name if there is one before the end, else ``end - lookback``.
    The window ends at the slot, or later (``end``) for an edition built late."""
    stop = max(slot, end) if end is not None else slot
    if previous_end is not None and previous_end < stop:
        return previous_end, stop
    return stop - lookback, stop
