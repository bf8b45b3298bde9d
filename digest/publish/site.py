"""The archive's shape, computed from editions alone: every page, its address,
what it shows and a key that changes whenever its output can change.

Pure: editions and settings in, a :class:`SitePlan` out; no files, no clock,
no templates. Rendering (``pages``) and writing (``writer``) come after.

Pagination is *stable*: lists are cut into pages from the oldest entry, so a
numbered page (``pagina/3/``) keeps its content for ever, and a new edition
only changes the front page of a list. The front page shows the newest
chunk that is still filling up together with the last full chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from digest.edition.address import edition_path, slug
from digest.model import Edition, EditionSection, Revision

if TYPE_CHECKING:
    from digest.publish.stories import StoryInfo
    from digest.publish.topics import TopicInfo

CHART_DAYS = 30


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """What the archive takes from the configuration."""

    title: str
    base_url: str
    per_page: int = 20
    timezone: str = "Europe/Amsterdam"
    feed_size: int = 20
    signup_url: str | None = None  # the subscription pages (``digest serve``), if any
    topics: tuple[str, ...] = ()  # configured keywords, each a topic page
    topic_places: int = 12  # the most mentioned places that get a topic page
    topic_people: int = 12  # the most mentioned people that get a topic page
    topic_min: int = 3  # stories a place or person needs for a topic page
    locale: str = "nl"  # the language of the archive's pages and feeds
    # (locale, base URL) of the same archive in other languages (hreflang links)
    alternates: tuple[tuple[str, str], ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def root_url(self) -> str:
        """The canonical URL of the archive root, ending in ``/``."""
        return self.base_url.rstrip("/") + "/"


@dataclass(frozen=True, slots=True)
class EditionEntry:
    """An edition as the archive places it: address, local time, fingerprint."""

    edition: Edition
    url: str  # "2026/01/21/ochtend/"
    local_slot: datetime
    fingerprint: str

    @property
    def id(self) -> str:
        return self.edition.id


@dataclass(frozen=True, slots=True)
class RegionEntry:
    """One edition's section for one region."""

    entry: EditionEntry
    section: EditionSection


@dataclass(frozen=True, slots=True)
class RegionInfo:
    id: str
    slug: str
    name: str
    entries: tuple[RegionEntry, ...]  # oldest first
    brief_count: int


@dataclass(frozen=True, slots=True)
class Page:
    """One HTML page: its address (``""`` is the root), template, context and key."""

    url: str
    template: str
    context: dict[str, Any] = field(hash=False)
    key: str
    updated: datetime | None = None  # the newest edition it shows (sitemap lastmod)

    @property
    def path(self) -> str:
        return self.url + "index.html" if self.url.endswith("/") or not self.url else self.url


@dataclass(frozen=True, slots=True)
class SitePlan:
    entries: tuple[EditionEntry, ...]  # oldest first
    regions: tuple[RegionInfo, ...]
    pages: tuple[Page, ...]
    stories: tuple[StoryInfo, ...] = ()  # first shown first
    topics: tuple[TopicInfo, ...] = ()

    def story_urls(self) -> dict[str, str]:
        """Story id -> the address of its page."""
        return {info.id: info.url for info in self.stories}


def digest_of(*parts: object) -> str:
    """A short stable hash of ``parts`` (their ``str``), for keys and fingerprints."""
    text = "\x1f".join(map(str, parts))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def settings_key(settings: SiteSettings) -> str:
    """A short hash of every setting: part of each file's key (hashing the settings
    once, not their text in every key of the archive)."""
    return digest_of(settings)


def edition_fingerprint(edition: Edition) -> str:
    """Changes whenever what readers see of ``edition`` can change.

    Stories are identified by id, revision and time (the store bumps the
    revision on every change of wording), so the text itself is not hashed.
    """
    parts: list[object] = [
        edition.id, edition.name, edition.title, edition.slot.timestamp(),
        edition.window_start.timestamp(), edition.timezone, edition.note_markdown,
    ]  # fmt: skip
    for section in edition.sections:
        parts.append(f"§{section.region_id}\x1e{section.title}")
        parts += [f"{b.story.id}\x1e{b.band}{b.updated}" for b in section.briefs]
    stories = {b.story.id: b.story for s in edition.sections for b in s.briefs}
    for story in stories.values():
        stamp = story.published_at.timestamp() if story.published_at else None
        parts.append(f"{story.id}\x1e{story.revisions}\x1e{stamp}")
    return digest_of(*parts)


def place_editions(editions: Iterable[Edition], settings: SiteSettings) -> list[EditionEntry]:
    """Editions oldest first, each at ``YYYY/MM/DD/<name>/`` (the slot's local date).

    A second edition of one name on one day gets ``<name>-HHMM``; the first
    keeps the plain address, so adding a later one moves nothing.
    """
    zone = settings.zone
    ordered = sorted(editions, key=lambda e: (e.slot, e.id))
    taken: set[str] = set()
    placed: list[EditionEntry] = []
    for edition in ordered:
        local = edition.slot.astimezone(zone)
        url = edition_path(edition)
        if url in taken:
            url = edition_path(edition, first_of_its_day=False)
        taken.add(url)
        placed.append(EditionEntry(edition, url, local, edition_fingerprint(edition)))
    return placed


def collect_regions(entries: Sequence[EditionEntry]) -> list[RegionInfo]:
    """The regions that have briefs in any edition, by name; names as most recently shown.

    A region page shows each story once: where the story came again (it was
    updated), only in the newest edition that carried it.
    """
    sections: dict[str, list[RegionEntry]] = {}
    names: dict[str, str] = {}
    shown: dict[str, set[str]] = {}
    for entry in reversed(entries):
        for section in entry.edition.sections:
            if section.region_id is None or not section.briefs:
                continue
            seen = shown.setdefault(section.region_id, set())
            briefs = tuple(b for b in section.briefs if b.story.id not in seen)
            seen.update(b.story.id for b in briefs)
            if briefs:
                kept = (
                    section
                    if len(briefs) == len(section.briefs)
                    else replace(section, briefs=briefs)
                )
                sections.setdefault(section.region_id, []).insert(0, RegionEntry(entry, kept))
            names.setdefault(section.region_id, section.title)
    infos = [
        RegionInfo(
            rid, slug(rid), names[rid], tuple(found), sum(len(r.section.briefs) for r in found)
        )
        for rid, found in sections.items()
    ]
    return sorted(infos, key=lambda r: (r.name.casefold(), r.id))


@dataclass(frozen=True, slots=True)
class Chunking:
    """Stable pages of a list (oldest first): ``numbered[i]`` is page ``i + 1``;
    ``front`` holds the last full chunk and the open one."""

    numbered: tuple[tuple[int, int], ...]  # (start, stop) index ranges
    front: tuple[int, int]


def chunk(weights: Sequence[int], per_page: int) -> Chunking:
    """Cut a list into pages of at least ``per_page`` weight, from the oldest item."""
    closed: list[tuple[int, int]] = []
    start = total = 0
    for index, weight in enumerate(weights):
        total += weight
        if total >= per_page:
            closed.append((start, index + 1))
            start, total = index + 1, 0
    front_start = closed.pop()[0] if closed else 0
    return Chunking(tuple(closed), (front_start, len(weights)))


def chart_counts(region: RegionInfo, newest: date, zone: ZoneInfo) -> list[tuple[date, int]]:
    """Distinct briefs per local day over the ``CHART_DAYS`` days ending on ``newest``.

    A brief counts on the day it was published (undated ones on their
    edition's day), once however many editions repeat it.
    """
    first = newest - timedelta(days=CHART_DAYS - 1)
    seen: dict[str, date] = {}
    for item in reversed(region.entries):
        if item.entry.edition.window_end.astimezone(zone).date() < first:
            break  # older windows hold only older briefs
        for brief in item.section.briefs:
            when = brief.story.published_at
            day = when.astimezone(zone).date() if when else item.entry.local_slot.date()
            if first <= day <= newest:
                seen.setdefault(brief.story.id, day)
    counts = dict.fromkeys((first + timedelta(days=n) for n in range(CHART_DAYS)), 0)
    for day in seen.values():
        counts[day] += 1
    return list(counts.items())


def relative_root(url: str) -> str:
    """The prefix that leads from the page at ``url`` back to the archive root."""
    return "../" * url.count("/")


def plan_site(
    entries: Sequence[EditionEntry],
    settings: SiteSettings,
    *,
    site_key: str = "",
    shards: Sequence[str] = (),
    revisions: Mapping[str, Sequence[Revision]] | None = None,
    facts: Callable[[str], Mapping[str, Sequence[Any]]] | None = None,
) -> SitePlan:
    """Every HTML page of the archive for ``entries`` (from :func:`place_editions`).

    ``site_key`` (templates, assets, version) goes into every page key so that
    a change there re-renders everything; ``shards`` names the search bundles
    the search page loads, newest first (none: search is not available);
    ``revisions`` the stored wordings of each story (story pages); ``facts``
    gives what each edition's stories give by themselves (by story id,
    ``facts.edition_facts``) from the edition's fingerprint, when they are known.
    """
    from digest.publish.stories import collect_stories, story_pages
    from digest.publish.topics import collect_topics, topic_pages

    regions = collect_regions(entries)
    settings_hash = settings_key(settings)  # once: every page key holds it
    key: Callable[..., str] = lambda *parts: digest_of(site_key, settings_hash, *parts)  # noqa: E731
    pages: list[Page] = []
    pages += _edition_pages(entries, key)
    pages += _list_pages("", entries, [1] * len(entries), settings, key, _index_context)
    newest = entries[-1].local_slot.date() if entries else None
    for region in regions:
        pages += _region_pages(region, settings, newest, key)
    regions_key = key(
        "regions", [(r.id, r.name, r.brief_count, r.entries[-1].entry.url) for r in regions]
    )
    newest_slot = entries[-1].local_slot if entries else None
    pages.append(
        Page("regio/", "archive/regions.html", {"regions": regions}, regions_key, newest_slot)
    )
    pages.append(Page("zoeken/", "archive/search.html", {"shards": shards}, key("search", shards)))
    if facts is None:
        stories = collect_stories(entries, revisions)
        topics = collect_topics(stories, settings)
    else:
        urls, mentioned = _story_facts(entries, facts)
        stories = collect_stories(entries, revisions, urls)
        topics = collect_topics(
            stories, settings, mentions_of=lambda info: mentioned[info.story.id]
        )
    following: dict[str, list[tuple[str, str]]] = {}
    for topic in topics:
        link = (topic.name, topic.url)
        for info in topic.stories:
            following.setdefault(info.story.id, []).append(link)
    pages += story_pages(stories, key, following)
    pages += topic_pages(topics, key, settings.per_page)
    return SitePlan(tuple(entries), tuple(regions), tuple(pages), tuple(stories), tuple(topics))


def _story_facts(
    entries: Sequence[EditionEntry], facts: Callable[[str], Mapping[str, Sequence[Any]]]
) -> tuple[dict[str, str], dict[str, Sequence[Any]]]:
    """Each story's address, as the first edition that carried it gives it, and its
    mentions, as the last one does: each edition's facts read once, in order."""
    urls: dict[str, str] = {}
    mentioned: dict[str, Sequence[Any]] = {}
    for entry in entries:
        for story_id, (url, found) in facts(entry.fingerprint).items():
            if story_id not in urls:
                urls[story_id] = url
            mentioned[story_id] = found
    return urls, mentioned


def _edition_pages(entries: Sequence[EditionEntry], key: Callable[..., str]) -> list[Page]:
    pages = []
    for index, entry in enumerate(entries):
        previous = entries[index - 1] if index > 0 else None
        following = entries[index + 1] if index + 1 < len(entries) else None
        context = {"entry": entry, "previous": previous, "next": following}
        neighbours = [(n.url, n.fingerprint) if n else None for n in (previous, following)]
        pages.append(
            Page(
                entry.url,
                "archive/edition.html",
                context,
                key(entry.fingerprint, entry.url, neighbours),
                entry.local_slot,
            )
        )
    return pages


def _list_pages(
    base: str,
    items: Sequence[Any],
    weights: Sequence[int],
    settings: SiteSettings,
    key: Callable[..., str],
    make: Callable[[Sequence[Any]], tuple[str, dict[str, Any], list[object]]],
) -> list[Page]:
    """The front page ``base`` and numbered pages ``base/pagina/N/`` of ``items``."""
    cut = chunk(weights, settings.per_page)
    count = len(cut.numbered)
    pages = []
    for number, (start, stop) in enumerate(cut.numbered, start=1):
        shown = list(reversed(items[start:stop]))
        template, context, parts = make(shown)
        newer = f"{base}pagina/{number + 1}/" if number < count else base
        older = f"{base}pagina/{number - 1}/" if number > 1 else None
        context |= {"number": number, "newer": newer, "older": older}
        page_key = key(base, number, newer, older, parts)
        pages.append(Page(f"{base}pagina/{number}/", template, context, page_key, _newest(shown)))
    shown = list(reversed(items[cut.front[0] : cut.front[1]]))
    template, context, parts = make(shown)
    older = f"{base}pagina/{count}/" if count else None
    context |= {"number": None, "newer": None, "older": older}
    pages.append(Page(base, template, context, key(base, "front", older, parts), _newest(shown)))
    return pages


def _newest(shown: Sequence[EditionEntry | RegionEntry]) -> datetime | None:
    if not shown:
        return None
    first = shown[0]
    return (first.entry if isinstance(first, RegionEntry) else first).local_slot


def _index_context(items: Sequence[EditionEntry]) -> tuple[str, dict[str, Any], list[object]]:
    return "archive/index.html", {"entries": items}, [(e.url, e.fingerprint) for e in items]


def _region_pages(
    region: RegionInfo, settings: SiteSettings, newest: date | None, key: Callable[..., str]
) -> list[Page]:
    base = f"regio/{region.slug}/"

    def make(items: Sequence[RegionEntry]) -> tuple[str, dict[str, Any], list[object]]:
        parts: list[object] = [region.id, region.name]
        parts += [
            (i.entry.url, i.entry.fingerprint, *(b.story.id for b in i.section.briefs))
            for i in items
        ]
        return "archive/region.html", {"region": region, "items": items, "chart": None}, parts

    weights = [len(item.section.briefs) for item in region.entries]
    pages = _list_pages(base, region.entries, weights, settings, key, make)
    front = pages[-1]
    if newest is not None:
        counts = chart_counts(region, newest, settings.zone)
        front.context["chart"] = counts
        pages[-1] = replace(front, key=digest_of(front.key, counts))
    return pages
