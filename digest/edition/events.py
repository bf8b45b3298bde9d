"""Events of an edition: each section's briefs about one event as one entry.

Pure. An edition in, per section its events (see :mod:`digest.edition.cluster`)
placed in the recency band of their newest brief; within a band, the most
widely covered event first (most briefs, then most distinct datelines and
agencies), then the newest. The briefs of an event keep their section order.
Computed when rendering, from the recorded edition, so recorded editions
need no new columns and every output shows the same grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.edition.cluster import cluster_texts
from digest.edition.headline import headline
from digest.model import BANDS, Edition, EditionBrief


@dataclass(frozen=True, slots=True)
class Event:
    """Briefs of one section about the same event, newest first."""

    briefs: tuple[EditionBrief, ...]

    @property
    def lead(self) -> EditionBrief:
        return self.briefs[0]

    @property
    def headline(self) -> str:
        """The entry's headline, from its lead brief's own words."""
        return headline(self.lead.story.text, self.lead.story.title)

    @property
    def anchor(self) -> str:
        """``entry-<story id>``: the id the entry's links point at."""
        return f"entry-{self.lead.story.id}"

    @property
    def breadth(self) -> int:
        """Distinct datelines and agencies that carry the event."""
        places = {b.story.dateline for b in self.briefs if b.story.dateline}
        agencies = {a for b in self.briefs for a in b.story.agencies}
        return len(places) + len(agencies)

    def rank_key(self) -> tuple[int, int, float, str]:
        stamp = self.lead.story.published_at
        newest = -(stamp.timestamp() if stamp else 0.0)
        wide = self.breadth if len(self.briefs) > 1 else 0  # a lone brief keeps its time order
        return (-len(self.briefs), -wide, newest, self.lead.story.id)


def edition_events(edition: Edition) -> dict[str, list[tuple[str, list[Event]]]]:
    """Per section key, ``(band, events)`` in band order, events ranked within a band."""
    briefs = [(s, b) for s in edition.sections for b in s.briefs]
    groups = cluster_texts(
        [b.story.text for _, b in briefs],
        [s.key for s, _ in briefs],
        [b.story.countries for _, b in briefs],
    )
    by_section: dict[str, list[Event]] = {}
    for group in groups:
        section = briefs[group[0]][0]
        by_section.setdefault(section.key, []).append(Event(tuple(briefs[i][1] for i in group)))
    return {s.key: _banded(by_section.get(s.key, [])) for s in edition.sections}


def _banded(events: list[Event]) -> list[tuple[str, list[Event]]]:
    grouped: dict[str, list[Event]] = {}
    for event in events:
        grouped.setdefault(event.lead.band, []).append(event)
    return [(band, sorted(grouped[band], key=Event.rank_key)) for band in BANDS if band in grouped]
