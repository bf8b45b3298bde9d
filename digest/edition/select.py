"""Selection: which stories belong in an edition's window, and how recent each is.

Pure: stories and instants in, decisions out; no clock, no store.

The editions of a site, whatever their names, form one timeline: an
edition's window ``(start, end]`` starts where the site's previous edition
ended, so a story first seen in it cannot have reached a reader before. A
story that an earlier edition already carried comes again only when it was
reworded after that edition (``updated_at`` later than that edition's end),
marked as updated; otherwise it is left out, even if windows overlap (a late
or deliberate re-run). A story first seen earlier but reworded in the window
that no edition carried comes as updated too. Stories that arrived late
(stored after the edition whose window held them was built) come in the
next edition: see :func:`select_stories`. Recency bands compare the
publication time with the end of the window in the site's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from digest.model import Carried, Story

HOUR = timedelta(hours=1)


def in_window(moment: datetime | None, start: datetime, end: datetime) -> bool:
    """``start < moment <= end``; ``None`` is never in a window."""
    return moment is not None and start < moment <= end


def select_stories(
    stories: Iterable[Story],
    *,
    window_start: datetime,
    window_end: datetime,
    carried: Mapping[str, Carried] | None = None,
    late_since: datetime | None = None,
) -> list[tuple[Story, bool]]:
    """The stories of the window with an ``updated`` flag, each story once, in input order.

    ``carried`` holds the stories that earlier editions carried, each as the
    latest such edition had it. With ``late_since``, stories that arrived late
    come too: first seen (or reworded) in ``(late_since, window_start]``, before
    this window, yet carried by no earlier edition (or not in this wording,
    by revision): stored after the edition whose window held them was built.
    """
    before = carried or {}
    since = late_since if late_since is not None and late_since < window_start else None
    chosen: dict[str, tuple[Story, bool]] = {}
    for story in stories:
        if story.id in chosen:
            continue
        earlier = before.get(story.id)
        if earlier is not None:
            if in_window(story.updated_at, max(earlier.until, window_start), window_end) or (
                since is not None
                and earlier.revision is not None
                and story.revisions > earlier.revision
                and in_window(story.updated_at, since, window_end)
            ):
                chosen[story.id] = (story, True)
        elif in_window(story.first_seen, window_start, window_end):
            chosen[story.id] = (story, False)
        elif story.first_seen <= window_start and in_window(
            story.updated_at, window_start, window_end
        ):
            chosen[story.id] = (story, True)
        elif since is not None and in_window(story.first_seen, since, window_start):
            chosen[story.id] = (story, False)
        elif since is not None and in_window(story.updated_at, since, window_start):
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


def window_stop(slot: datetime, end: datetime | None) -> datetime:
    """Where an edition's window ends: its slot, or later for an edition built late."""
    return max(slot, end) if end is not None else slot


def edition_window(
    slot: datetime,
    previous_end: datetime | None,
    lookback: timedelta,
    end: datetime | None = None,
) -> tuple[datetime, datetime]:
    """``(start, end)`` of the edition at ``slot``: from ``previous_end`` (where the
    site's latest edition ending no later than this one ended), else ``end -
    lookback`` for a site's first edition. The window ends at the slot, or later
    (``end``) for an edition built late; it is empty when the previous one ended
    at the same moment."""
    stop = window_stop(slot, end)
    if previous_end is not None:
        return min(previous_end, stop), stop
    return stop - lookback, stop
