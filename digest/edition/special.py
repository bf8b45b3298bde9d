"""Building the editions off the site's timeline: the weekly overview and the Extra editie.

Both read stored stories (not only the latest capture) and neither moves the
timeline that regular editions continue (:mod:`digest.store.history`), so a
reader of the morning edition misses nothing that a weekly or an Extra editie
carried. A regular edition marks the stories an Extra editie carried "al gemeld".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from digest.config import Config, EditionConfig, parse_duration, quiet_span
from digest.edition.extra import Burst, find_burst, mark_reported
from digest.edition.group import group_edition
from digest.edition.weekly import weekly_overview
from digest.model import Carried, Edition, RegionLike, Story
from digest.store import Store
from digest.store.editions import window_stories
from digest.store.history import latest_cut, reported_in


def configured_edition(
    stories: Sequence[Story],
    regions: Sequence[RegionLike],
    config: Config,
    ec: EditionConfig,
    *,
    slot: datetime,
    start: datetime,
    end: datetime,
    carried: Mapping[str, Carried] | None = None,
    late_since: datetime | None = None,
) -> Edition:
    """:func:`group_edition` of ``stories`` over ``(start, end]`` named and
    titled as ``ec`` says, in the site's time zone."""
    return group_edition(
        stories,
        regions,
        name=ec.name,
        title=ec.title,
        slot=slot,
        window_start=start,
        zone=config.zone,
        window_end=end,
        carried=carried,
        late_since=late_since,
    )


def build_weekly(
    store: Store,
    config: Config,
    ec: EditionConfig,
    regions: Sequence[RegionLike],
    *,
    slot: datetime,
    end: datetime,
) -> Edition:
    """The week ending at ``end`` (``window``, a week by default): every story
    first seen or reworded in it, cut to each region's ``top`` biggest events."""
    start = end - parse_duration(ec.window)
    stories = window_stories(store, start, end)
    week = configured_edition(stories, regions, config, ec, slot=slot, start=start, end=end)
    return weekly_overview(week, ec.top)


def extra_pool(
    store: Store, config: Config, ec: EditionConfig, at: datetime
) -> tuple[datetime, list[Story]]:
    """``(start, stories)``: the stories first seen after the site's latest regular
    edition (or ``window`` before ``at`` on a new site) up to ``at`` that no
    Extra editie of this name carried yet."""
    cut = latest_cut(store, until=at, other_than="", names=config.timeline_names)
    start = cut if cut is not None else at - parse_duration(ec.window)
    fresh = [s for s in window_stories(store, start, at) if start < s.first_seen <= at]
    carried = reported_in(store, [s.id for s in fresh], [ec.name])
    return start, [s for s in fresh if s.id not in carried]


def pending_burst(
    store: Store,
    config: Config,
    ec: EditionConfig,
    regions: Sequence[RegionLike],
    at: datetime,
) -> Burst | None:
    """The burst that the stored news makes at ``at`` for the Extra editie ``ec``."""
    _, pool = extra_pool(store, config, ec, at)
    return _burst(ec, regions, pool)


def _burst(ec: EditionConfig, regions: Sequence[RegionLike], pool: list[Story]) -> Burst | None:
    return find_burst(
        pool,
        {r.id for r in regions},
        min_briefs=ec.min_briefs,
        within=timedelta(minutes=ec.within_minutes),
        keywords=ec.keywords,
    )


def build_extra(
    store: Store,
    config: Config,
    ec: EditionConfig,
    regions: Sequence[RegionLike],
    *,
    slot: datetime,
    end: datetime,
) -> Edition:
    """The Extra editie at ``slot``: the burst's stories as stored at ``end``
    (an empty edition when there is no burst, which building skips)."""
    start, pool = extra_pool(store, config, ec, end)
    burst = _burst(ec, regions, pool)
    chosen = [s for s in pool if burst is not None and s.id in burst.story_ids]
    edition = configured_edition(chosen, regions, config, ec, slot=slot, start=start, end=end)
    return replace(edition, kind="extra")


def marked_reported(store: Store, config: Config, edition: Edition) -> Edition:
    """A regular ``edition`` with the stories an Extra editie carried marked "al gemeld"."""
    extras = [e.name for e in config.editions if e.kind == "extra"]
    return mark_reported(edition, reported_in(store, edition.story_ids(), extras))


def quiet_of(ec: EditionConfig) -> tuple[int, int] | None:
    """The Extra editie's quiet hours in minutes after midnight, or ``None``."""
    return quiet_span(ec.quiet_hours) if ec.quiet_hours else None
