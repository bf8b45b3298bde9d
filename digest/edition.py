"""Editions: a time window of stories grouped into region sections.

This module holds the edition value that every output (mail, text, Markdown,
archive) is rendered from. Selection and grouping are pure: they take stories,
regions and times as arguments and never read the clock or the store.

Edition ids are ``<name>-<YYYY-MM-DD>T<HHMM>`` in the site's wall-clock time
(``ochtend-2026-01-21T0700``). Both firings of a job inside the DST fall-back
hour therefore map to one id, so the store's ledger keeps one edition per slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from digest.model import Story
from digest.select import band_sort_key, recency_band, select_stories

OTHER_SECTION = "overig"
OTHER_TITLE = "Overig"

# Recency bands, newest first; their display names are translated in templates.
# "lead" holds lead articles (shown first, as articles with their title),
# "undated" the briefs whose time could not be read.
BANDS: tuple[str, ...] = ("lead", "hour", "today", "yesterday", "earlier", "undated")


class RegionLike(Protocol):
    """What grouping needs of a configured region (``digest.regions.Region``)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class EditionBrief:
    """A story as it appears in one section of an edition."""

    story: Story
    band: str
    updated: bool = False


@dataclass(frozen=True, slots=True)
class EditionSection:
    """One region (or "Overig", region_id ``None``) with its briefs newest first."""

    region_id: str | None
    title: str
    briefs: tuple[EditionBrief, ...]

    @property
    def key(self) -> str:
        return self.region_id or OTHER_SECTION

    def bands(self) -> list[tuple[str, list[EditionBrief]]]:
        """The briefs split by recency band, in band order, empty bands left out."""
        grouped: dict[str, list[EditionBrief]] = {}
        for brief in self.briefs:
            grouped.setdefault(brief.band, []).append(brief)
        return [(band, grouped[band]) for band in BANDS if band in grouped]


@dataclass(frozen=True, slots=True)
class Edition:
    """Everything a reader gets in one edition; immutable once recorded.

    ``timezone`` is the IANA name of the site zone that bands, dates and
    times are shown in.
    """

    id: str
    name: str
    title: str
    slot: datetime
    window_start: datetime
    window_end: datetime
    sections: tuple[EditionSection, ...]
    note_markdown: str | None = None
    regions: tuple[str, ...] = field(default=())
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_slot(self) -> datetime:
        return self.slot.astimezone(self.zone)

    @property
    def story_count(self) -> int:
        return len(self.story_ids())

    @property
    def new_count(self) -> int:
        """Distinct stories that are new in this window (not merely updated)."""
        return len({b.story.id for s in self.sections for b in s.briefs if not b.updated})

    def story_ids(self) -> list[str]:
        """Distinct story ids in order of first appearance."""
        return list(dict.fromkeys(b.story.id for s in self.sections for b in s.briefs))

    def for_regions(self, region_ids: frozenset[str] | None) -> Edition:
        """The edition a subscriber who chose ``region_ids`` reads (None = all).

        Keeps only the chosen regions' sections; "Overig" is kept only for
        readers of everything.
        """
        if region_ids is None:
            return self
        kept = tuple(s for s in self.sections if s.region_id in region_ids)
        return replace(self, sections=kept, regions=tuple(sorted(region_ids)))


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
) -> Edition:
    """The edition for the window ``(window_start, window_end]`` (the window
    ends at the slot unless the edition was built later).

    Stories first seen in the window are new; stories first seen earlier but
    reworded in the window are included marked ``updated``. Each story goes
    into the section of every configured region it is about, or into
    "Overig" when it is about none of them; sections without briefs are left
    out. Within a section: lead articles, then briefs newest first by band.
    """
    end = window_end or slot
    chosen = select_stories(stories, window_start=window_start, window_end=end)
    known = {region.id for region in regions}
    buckets: dict[str | None, dict[str, EditionBrief]] = {r.id: {} for r in regions}
    buckets[None] = {}
    for story, updated in chosen:
        brief = EditionBrief(story, recency_band(story, end, zone), updated)
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
            f"{edition.window_start.isoformat()} and {edition.window_end.isoformat()}"
        )
    new = edition.new_count
    if new < min_briefs:
        noun = "brief" if new == 1 else "briefs"
        return f"edition {edition.id}: only {new} new {noun}, fewer than min_briefs={min_briefs}"
    return None
