"""The Extra editie: when a burst of news fires it, and what it carries.

Pure: stories, rules and instants in, a burst out; no clock, no store.

A region fires when ``min_briefs`` of its new briefs were first seen within
``within`` of each other; a new brief with a configured keyword fires too. The
burst's moment is the first moment either was true, so every run that sees the
same stored stories names the same moment (the slot key of the Extra editie).
Quiet hours move that moment to their end (deferred, not dropped): a run in
quiet hours sends nothing, the first run after them sends the burst, unless a
regular edition carried its stories first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from digest.model import Edition, EditionSection, Story


@dataclass(frozen=True, slots=True)
class Burst:
    """What fired an Extra editie: when, why, and the stories it carries."""

    moment: datetime
    story_ids: frozenset[str]
    reasons: tuple[str, ...]


def find_burst(
    stories: Iterable[Story],
    regions: Collection[str],
    *,
    min_briefs: int,
    within: timedelta,
    keywords: Sequence[str] = (),
) -> Burst | None:
    """The burst among ``stories`` (new, never in an Extra editie), or ``None``.

    Each configured region whose briefs reach ``min_briefs`` within ``within``
    brings its briefs from the first of that run on; each story with one of
    ``keywords`` comes itself. The moment is the earliest firing."""
    by_region: dict[str, list[Story]] = {}
    pool = sorted(stories, key=lambda s: (s.first_seen, s.id))
    for story in pool:
        for region in story.regions:
            if region in regions:
                by_region.setdefault(region, []).append(story)
    moments: list[datetime] = []
    chosen: set[str] = set()
    reasons: list[str] = []
    for region, found in sorted(by_region.items()):
        start = _first_run(found, min_briefs, within) if min_briefs > 0 else None
        if start is not None:
            moments.append(found[start + min_briefs - 1].first_seen)
            chosen.update(s.id for s in found[start:])
            reasons.append(f"{region}: {min_briefs} new briefs within {_minutes(within)}")
    words = _keyword_pattern(keywords)
    for story in pool:
        hit = words.search(f"{story.title or ''} {story.text}") if words else None
        if hit:
            moments.append(story.first_seen)
            chosen.add(story.id)
            reasons.append(f"keyword {hit.group(0).lower()!r}")
    if not moments:
        return None
    return Burst(min(moments), frozenset(chosen), tuple(dict.fromkeys(reasons)))


def _first_run(stories: Sequence[Story], count: int, within: timedelta) -> int | None:
    """The index of the first of ``count`` consecutive stories first seen within ``within``."""
    for last in range(count - 1, len(stories)):
        if stories[last].first_seen - stories[last - count + 1].first_seen <= within:
            return last - count + 1
    return None


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} minutes"


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    words = [re.escape(w.strip()) for w in keywords if w.strip()]
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


def is_quiet(moment: datetime, span: tuple[int, int] | None, zone: ZoneInfo) -> bool:
    """Whether ``moment``'s wall-clock time in ``zone`` is inside the quiet span
    (start and end in minutes after midnight; the span may pass midnight)."""
    if span is None:
        return False
    local = moment.astimezone(zone)
    minute = local.hour * 60 + local.minute
    start, end = span
    return start <= minute < end if start < end else minute >= start or minute < end


def released_at(moment: datetime, span: tuple[int, int] | None, zone: ZoneInfo) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (in ``zone``)."""
    if span is None or not is_quiet(moment, span, zone):
        return moment
    local = moment.astimezone(zone)
    start, end = span
    day = local.date()
    if start > end and local.hour * 60 + local.minute >= start:
        day += timedelta(days=1)  # quiet until the next morning
    return datetime.combine(day, time(end // 60, end % 60), tzinfo=zone)


def mark_reported(edition: Edition, reported: Mapping[str, datetime]) -> Edition:
    """``edition`` with each brief that an Extra editie carried marked "al gemeld"."""
    if not reported:
        return edition
    sections = tuple(
        EditionSection(
            s.region_id,
            s.title,
            tuple(
                replace(b, reported=reported[b.story.id]) if b.story.id in reported else b
                for b in s.briefs
            ),
        )
        for s in edition.sections
    )
    return replace(edition, sections=sections)
