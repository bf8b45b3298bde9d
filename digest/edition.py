"""Editions: a time window of stories grouped into region sections.

This module holds the edition value that every output (mail, text, Markdown,
archive) is rendered from. Selection and grouping are pure: they take stories,
regions and times as arguments and never read the clock or the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from digest.model import Story

OTHER_SECTION = "overig"

# Recency bands, newest first; their display names are translated in templates.
BANDS: tuple[str, ...] = ("hour", "today", "yesterday", "earlier", "undated")


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
    """Everything a reader gets in one edition; immutable once recorded."""

    id: str
    name: str
    title: str
    slot: datetime
    window_start: datetime
    window_end: datetime
    sections: tuple[EditionSection, ...]
    note_markdown: str | None = None
    regions: tuple[str, ...] = field(default=())

    @property
    def story_count(self) -> int:
        return len({b.story.id for s in self.sections for b in s.briefs})

    def for_regions(self, region_ids: frozenset[str] | None) -> Edition:
        """The edition a subscriber who chose ``region_ids`` reads (None = all).

        Keeps only the chosen regions' sections; "Overig" is kept only for
        readers of everything.
        """
        if region_ids is None:
            return self
        kept = tuple(s for s in self.sections if s.region_id in region_ids)
        return replace(self, sections=kept, regions=tuple(sorted(region_ids)))
