"""The weekly overview: the week's biggest events per region, each in its latest state.

Pure: an edition of the whole week in, the overview out. An event is the
briefs of one section about the same thing (:mod:`digest.edition.cluster`);
its weight is its coverage (how many briefs, then how many datelines and
agencies carried it) plus its updates (revisions of its briefs after the
first). Each section keeps its ``top`` heaviest events, heaviest first; every
brief shows its story's latest text, as the store holds it.
"""

from __future__ import annotations

from dataclasses import replace

from digest.edition.cluster import cluster_texts
from digest.edition.events import Event
from digest.model import Edition, EditionBrief, EditionSection


def weight(event: Event) -> int:
    """Coverage plus updates: briefs, and revisions after each brief's first."""
    return len(event.briefs) + sum(b.story.revisions - 1 for b in event.briefs)


def _rank_key(event: Event) -> tuple[int, int, float, str]:
    stamp = event.lead.story.published_at or event.lead.story.first_seen
    return (-weight(event), -event.breadth, -stamp.timestamp(), event.lead.story.id)


def ranked_events(edition: Edition) -> dict[str, list[Event]]:
    """Per section key, its events heaviest first (the weekly templates' order):
    as the overview recorded them, or found afresh in an edition of the week."""
    if all(b.event is not None for s in edition.sections for b in s.briefs):
        return {s.key: _recorded_events(s) for s in edition.sections}
    briefs = [(s, b) for s in edition.sections for b in s.briefs]
    groups = cluster_texts(
        [b.story.text for _, b in briefs],
        [s.key for s, _ in briefs],
        [b.story.countries for _, b in briefs],
    )
    by_section: dict[str, list[Event]] = {s.key: [] for s in edition.sections}
    for group in groups:
        section = briefs[group[0]][0]
        ordered = sorted((briefs[i][1] for i in group), key=_newest_first)
        by_section[section.key].append(Event(tuple(ordered)))
    return {key: sorted(events, key=_rank_key) for key, events in by_section.items()}


def _recorded_events(section: EditionSection) -> list[Event]:
    """The events of a recorded overview's section, by the rank its briefs carry
    (clustering the kept briefs again could group them otherwise)."""
    grouped: dict[int, list[EditionBrief]] = {}
    for brief in section.briefs:
        grouped.setdefault(brief.event or 0, []).append(brief)
    return [Event(tuple(grouped[rank])) for rank in sorted(grouped)]


def _newest_first(brief: EditionBrief) -> float:
    story = brief.story
    stamp = story.updated_at or story.published_at or story.first_seen
    return -stamp.timestamp()


def weekly_overview(edition: Edition, top: int) -> Edition:
    """``edition`` cut to each section's ``top`` heaviest events, heaviest first."""
    ranked = ranked_events(edition)
    sections = []
    for section in edition.sections:
        kept = ranked[section.key][:top]
        briefs = tuple(
            replace(b, event=rank) for rank, event in enumerate(kept, 1) for b in event.briefs
        )
        if briefs:
            sections.append(EditionSection(section.region_id, section.title, briefs))
    return replace(edition, sections=tuple(sections), kind="weekly")
