"""Editions: a time window of stories grouped into region sections.

This module holds the edition value that every output (mail, text, Markdown,
archive) is rendered from. Selection and grouping are pure: they take stories,
regions and times as arguments and never read the clock or the store.

Edition ids are ``<name>-<YYYY-MM-DD>T<HHMM>`` in the site's wall-clock time
(``ochtend-2026-01-21T0700``). Both firings of a job inside the DST fall-back
hour therefore map to one id, so the store's ledger keeps one edition per slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from digest import clock
from digest.edition.changes import changed_fragments
from digest.edition.select import band_sort_key, recency_band, select_stories
from digest.model import BANDS, Carried, Edition, EditionBrief, EditionSection, RegionLike, Story

OTHER_TITLE = "Overig"


def edition_id(name: str, slot: datetime, zone: ZoneInfo) -> str:
    """``ochtend-2026-01-21T0700``: the name and the slot's wall-clock time in ``zone``."""
    return f"{name}-{slot.astimezone(zone):%Y-%m-%dT%H%M}"


def group_edition(
    stories: Sequence[Story],
    regions: Sequence[RegionLike],
    *,
    name: str,
    title: str,
    slot: datetime,
    window_start: datetime,
    zone: ZoneInfo,
    note_markdown: str | None = None,
    window_end: datetime | None = None,
    carried: Mapping[str, Carried] | None = None,
    late_since: datetime | None = None,
) -> Edition:
    """The edition for the window ``(window_start, window_end]`` (the window
    ends at the slot unless the edition was built later).

    Stories first seen in the window are new; stories first seen earlier but
    reworded in the window are included marked ``updated``. Each story goes
    into the section of every configured region it is about, or into
    "Overig" when it is about none of them; sections without briefs are left
    out. Within a section: lead articles, then briefs newest first by band.
    Stories in ``carried`` (earlier editions had them) come only when they
    were reworded since, with the changed fragments of their text. With
    ``late_since``, stories that arrived late come too (:func:`select_stories`).
    """
    end = window_end or slot
    before = carried or {}
    chosen = select_stories(
        stories, window_start=window_start, window_end=end, carried=before, late_since=late_since
    )
    known = {region.id for region in regions}
    buckets: dict[str | None, dict[str, EditionBrief]] = {r.id: {} for r in regions}
    buckets[None] = {}
    for story, updated in chosen:
        earlier = before.get(story.id)
        changes = changed_fragments(earlier.text, story.text) if earlier and updated else ()
        last = earlier.text if earlier and updated else None
        band = recency_band(story, end, zone)
        brief = EditionBrief(story, band, updated, changes, before=last)
        targets: list[str | None] = [r for r in story.regions if r in known] or [None]
        for target in targets:
            buckets[target].setdefault(story.id, brief)
    titles: dict[str | None, str] = {r.id: r.name for r in regions}
    titles[None] = OTHER_TITLE
    sections = tuple(
        EditionSection(key, titles[key], _ordered(bucket.values()))
        for key, bucket in buckets.items()
        if bucket
    )
    return Edition(
        id=edition_id(name, slot, zone),
        name=name,
        title=title,
        slot=slot,
        window_start=window_start,
        window_end=end,
        sections=sections,
        note_markdown=note_markdown,
        timezone=zone.key,
    )


def _ordered(briefs: Iterable[EditionBrief]) -> tuple[EditionBrief, ...]:
    return tuple(sorted(briefs, key=lambda b: band_sort_key(b.story, BANDS.index(b.band))))


def skip_reason(edition: Edition, min_briefs: int) -> str | None:
    """Why ``edition`` should not be sent, or ``None`` when it should.

    An edition with nothing at all is always skipped; otherwise it needs at
    least ``min_briefs`` new (not merely updated) stories.
    """
    if edition.story_count == 0:
        return (
            f"edition {edition.id}: no new or updated briefs between "
            f"{clock.moment(edition.window_start, edition.zone)} and "
            f"{clock.moment(edition.window_end, edition.zone)}"
        )
    new = edition.new_count
    if new < min_briefs:
        noun = "brief" if new == 1 else "briefs"
        return f"edition {edition.id}: only {new} new {noun}, fewer than min_briefs={min_briefs}"
    return None
