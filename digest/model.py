"""Values that flow through the pipeline: items, stories and editions, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

Kind = Literal["article", "brief"]
# regular: a cron slot on the site's timeline; weekly: an overview of the week's
# biggest events; extra: the Extra editie, fired by a burst of news.
EditionKind = Literal["regular", "weekly", "extra"]
EDITION_KINDS: tuple[EditionKind, ...] = ("regular", "weekly", "extra")
LOCALES: tuple[str, ...] = ("nl", "en")  # the locales digest has catalogs for


@dataclass(frozen=True, slots=True)
class Item:
    """One news item as read from a source, before it meets the store.

    ``published_at`` is the capture time minus the stated age (the latest
    moment the item can have appeared); ``earliest`` is the earliest moment
    the stated age allows ("1 uur geleden" means 60 to 119 minutes ago).
    Both are ``None`` for undated items (lead articles, truncated briefs).
    """

    kind: Kind
    title: str | None
    dateline: str | None
    agencies: tuple[str, ...]
    text: str
    published_at: datetime | None
    section: str | None
    source: str
    earliest: datetime | None = None
    url: str | None = None
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    def classified(self, regions: tuple[str, ...], countries: tuple[str, ...]) -> Item:
        """This item with its regions and countries (``dataclasses.replace``
        costs more than classifying on the ingest path)."""
        return new_item(
            self.kind, self.title, self.dateline, self.agencies, self.text,
            self.published_at, self.section, self.source, self.earliest, self.url,
            regions, countries,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``digest parse --json`` (see DESIGN.md)."""
        return _news_json(self)


# The slot setters of Item, in field order (see ``new_item``).
_ITEM_SLOTS = tuple(getattr(Item, f.name).__set__ for f in fields(Item))


def new_item(
    kind: Kind,
    title: str | None,
    dateline: str | None,
    agencies: tuple[str, ...],
    text: str,
    published_at: datetime | None,
    section: str | None,
    source: str,
    earliest: datetime | None = None,
    url: str | None = None,
    regions: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
) -> Item:
    """``Item(...)`` with the same arguments and the same value, made faster.

    A frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, a slot wrapper that costs about as much as half the
    parse of a brief; ingestion makes one Item per brief, so it sets the slots
    directly. (Item has no ``__post_init__`` to skip.)
    """
    item = object.__new__(Item)
    slots = _ITEM_SLOTS
    slots[0](item, kind)
    slots[1](item, title)
    slots[2](item, dateline)
    slots[3](item, agencies)
    slots[4](item, text)
    slots[5](item, published_at)
    slots[6](item, section)
    slots[7](item, source)
    slots[8](item, earliest)
    slots[9](item, url)
    slots[10](item, regions)
    slots[11](item, countries)
    return item


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something in a source that was kept but not fully understood."""

    source: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Items in source order plus the warnings raised while reading them."""

    items: tuple[Item, ...]
    warnings: tuple[ParseWarning, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Story:
    """One news story as the store knows it: the latest revision of an item
    seen in one or more snapshots, with its reconciled publication time.

    ``id`` is stable across runs and databases (derived from the dateline and
    the opening words). ``updated_at`` is when a changed wording was last seen
    (``None`` for a story never revised).
    """

    id: str
    kind: Kind
    title: str | None
    dateline: str | None
    agencies: tuple[str, ...]
    text: str
    published_at: datetime | None
    section: str | None
    source: str
    first_seen: datetime
    last_seen: datetime
    updated_at: datetime | None = None
    revisions: int = 1
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``digest briefs --json``: the keys of ``parse`` plus id and seen times."""
        return {
            "id": self.id,
            **_news_json(self),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "revisions": self.revisions,
        }


def _news_json(news: Item | Story) -> dict[str, Any]:
    """The keys items and stories share, in the order of the public interface."""
    return {
        "kind": news.kind,
        "title": news.title,
        "dateline": news.dateline,
        "agencies": list(news.agencies),
        "text": news.text,
        "published_at": news.published_at.isoformat() if news.published_at else None,
        "section": news.section,
        "regions": list(news.regions),
        "countries": list(news.countries),
        "source": news.source,
    }


@dataclass(frozen=True, slots=True)
class Revision:
    """One stored wording of a story: its number (1 = first seen), when that
    wording was first seen, and its title and text."""

    number: int
    seen_at: datetime
    title: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Carried:
    """A story as an earlier edition carried it: where that edition's window
    ended, the text its readers got and its revision then (``None``: unknown)."""

    until: datetime
    text: str
    revision: int | None = None


class RegionLike(Protocol):
    """What grouping needs of a configured region (``digest.classify.regions.Region``)."""

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
    # For an updated story: what changed since a reader last got it, as
    # (before, now) fragments of its text ("3.700", "4.100"); empty when unknown.
    changes: tuple[tuple[str, str], ...] = ()
    # When an Extra editie already carried this story ("al gemeld"), its time.
    reported: datetime | None = None
    # In a weekly overview: the rank of the event the brief belongs to (1 = biggest).
    event: int | None = None
    # For an updated story: the text the reader last got (the latest earlier
    # edition carrying it), from which the changed words are marked in its text.
    before: str | None = None


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
    kind: EditionKind = "regular"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_slot(self) -> datetime:
        return self.slot.astimezone(self.zone)

    @property
    def late(self) -> bool:
        """Built well after its slot (after downtime, or on a first run)."""
        return self.window_end.astimezone(UTC) - self.slot.astimezone(UTC) > LATE

    @property
    def issued_at(self) -> datetime:
        """When the edition really went out, in the site zone: its slot, or the
        moment it was built when that was late. Titles, greetings and times
        are stated against this moment."""
        moment = self.window_end if self.late else self.slot
        return moment.astimezone(self.zone)

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
            once = _once(self.sections)
            return self if once == self.sections else replace(self, sections=once)
        kept = tuple(s for s in self.sections if s.region_id in region_ids)
        return replace(self, sections=_once(kept), regions=tuple(sorted(region_ids)))


def _once(sections: tuple[EditionSection, ...]) -> tuple[EditionSection, ...]:
    """Each story only in the first section a reader gets that holds it (a story
    about two regions is in both sections of the record), empty sections dropped."""
    seen: set[str] = set()
    kept: list[EditionSection] = []
    for section in sections:
        briefs = tuple(b for b in section.briefs if b.story.id not in seen)
        seen.update(b.story.id for b in briefs)
        if len(briefs) == len(section.briefs):
            kept.append(section)
        elif briefs:
            kept.append(replace(section, briefs=briefs))
    return tuple(kept)


OTHER_SECTION = "overig"
LATE = timedelta(minutes=15)  # an edition built later than this after its slot says so


# Recency bands, newest first; their display names are translated in templates.
# "lead" holds lead articles (shown first, as articles with their title),
# "undated" the briefs whose time could not be read.
BANDS: tuple[str, ...] = ("lead", "hour", "today", "yesterday", "earlier", "undated")
