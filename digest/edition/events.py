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
from digest.edition.headline import headline, is_one_sentence, lead_sentence, within_budget
from digest.model import BANDS, Edition, EditionBrief


@dataclass(frozen=True, slots=True)
class Event:
    """Briefs of one section about the same event, newest first."""

    briefs: tuple[EditionBrief, ...]
    covered: int = 0  # briefs about it in all, when a trimmed mail shows fewer

    @property
    def size(self) -> int:
        """How many briefs tell the event, shown or not."""
        return max(self.covered, len(self.briefs))

    @property
    def lead(self) -> EditionBrief:
        return self.briefs[0]

    @property
    def headline(self) -> str:
        """The entry's headline, from its lead brief's own words."""
        return headline(self.lead.story.text, self.lead.story.title)

    @property
    def sentence(self) -> str:
        """The lead brief's first sentence, verbatim ("In het kort")."""
        return lead_sentence(self.lead.story.text)

    def shortened(self) -> tuple[EditionBrief, ...]:
        """The briefs after the lead, when one of them says more than its first
        sentence: a mail that links to the archive shows those by their first
        sentence. None when cutting would lose no word (the event is shown whole)."""
        rest = self.briefs[1:]
        if any(not is_one_sentence(brief.story.text) for brief in rest):
            return rest
        return ()

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
        regional=[s.region_id is not None for s, _ in briefs],
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


TOP_MIN, TOP_MAX = 3, 5
SUBJECT_BUDGET = 78  # characters; Gmail on a phone shows about 40, a desktop about 80


def top_events(by_section: dict[str, list[tuple[str, list[Event]]]]) -> list[Event]:
    """The edition's leading events for "In het kort": the most widely covered
    first (most briefs, then most datelines and agencies), then by band and
    newest; the best of each section before a second of any, at most
    :data:`TOP_MAX`, and none when the edition has fewer than :data:`TOP_MIN`."""
    found = [
        (BANDS.index(band), event)
        for bands in by_section.values()
        for band, events in bands
        for event in events
    ]
    if len(found) < TOP_MIN:
        return []
    ranked = [event for _, event in sorted(found, key=lambda pair: _top_key(pair[1], pair[0]))]
    keys = {id(e): key for key, bands in by_section.items() for _, es in bands for e in es}
    first: dict[str, Event] = {}
    for event in ranked:  # the best event of every section first, then the next best
        first.setdefault(keys[id(event)], event)
    chosen = list(first.values())[:TOP_MAX]
    chosen += [e for e in ranked if e not in chosen][: TOP_MAX - len(chosen)]
    return sorted(chosen, key=ranked.index)


def _top_key(event: Event, band: int) -> tuple[int, int, int, float, str]:
    size, wide, newest, story_id = event.rank_key()
    return (size, wide, band, newest, story_id)


def lead_event(by_section: dict[str, list[tuple[str, list[Event]]]]) -> Event | None:
    """The event the subject names: the top event, or the first entry of a small edition."""
    top = top_events(by_section)
    if top:
        return top[0]
    for bands in by_section.values():
        for _, events in bands:
            return events[0]
    return None


def subject_line(title: str, lead: Event | None, budget: int = SUBJECT_BUDGET) -> str:
    """``Ochtendeditie: Ook Duitsland stuurt militairen naar Groenland``, within
    ``budget`` characters (the headline cut again at a word boundary and an
    ellipsis marking the cut), or the
    title alone when no headline fits."""
    if lead is None:
        return title
    room = budget - len(title) - 2
    shown = lead.headline
    if len(shown) > room:  # cut again, and the cut shown: "… door Oekraïens" misleads
        shown = within_budget(shown, room - 1) if room >= 12 else ""
        if len(shown) > room - 1 or not shown:
            return title
        shown += "…"
    return f"{title}: {shown[:1].upper()}{shown[1:]}"


Banded = dict[str, list[tuple[str, list[Event]]]]


TRIMMED_EVENT = 2  # briefs an entry keeps once an edition is trimmed to fit


def trimmed(by_section: Banded, keep: int, protected: list[Event]) -> tuple[Banded, dict[str, int]]:
    """``by_section`` with about ``keep`` briefs: each entry keeps at most
    :data:`TRIMMED_EVENT` briefs, and each section gives up its lowest-ranked
    entries (the last shown) in proportion to its size, never its first entry
    nor a ``protected`` one ("In het kort" links to them). Returns the entries
    kept and, per section, how many briefs are left out."""
    total = sum(len(e.briefs) for bands in by_section.values() for _, es in bands for e in es)
    kept: Banded = {}
    hidden: dict[str, int] = {}
    for key, bands in by_section.items():
        entries = [(band, e) for band, es in bands for e in es]
        size = sum(len(e.briefs) for _, e in entries)
        room = max(1, round(size * keep / max(total, 1)))
        regrouped: dict[str, list[Event]] = {}
        used = 0
        for index, (band, event) in enumerate(entries):
            short = Event(event.briefs[:TRIMMED_EVENT], event.size)
            if index == 0 or event in protected or used + len(short.briefs) <= room:
                regrouped.setdefault(band, []).append(short)
                used += len(short.briefs)
        if size - used:
            hidden[key] = size - used
        kept[key] = list(regrouped.items())
    return kept, hidden
