"""Atom feeds (all editions, and one per region), ``sitemap.xml`` and ``robots.txt``.

Brief text is untrusted: entry content is the section HTML the archive shows
(already escaped by the templates) run through an allow-list sanitiser and
then stored as escaped text (``type="html"``), so no script, event handler
or ``javascript:`` link reaches a feed reader. Every date in a feed comes
from the editions, never from the clock, so an unchanged archive yields
byte-identical feeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import nh3
from feedgen.feed import FeedGenerator

from digest.model import EditionSection
from digest.publish.site import EditionEntry, RegionInfo, SiteSettings
from digest.render import markup
from digest.render.i18n import Formatter

Fragment = Callable[[EditionEntry, EditionSection], str]

FEED_TAGS = frozenset({"div", "p", "h2", "h3", "h4", "strong", "em", "span", "a", "br"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "updated" of a feed without entries
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue002-\ufffd\U00010000-\U0010ffff]")


def safe_feed_html(fragment: str) -> str:
    """``fragment`` with only plain text markup left: no scripts, styles,
    attributes other than http(s)/mailto ``href``, nor characters XML forbids."""
    cleaned = nh3.clean(
        fragment,
        tags=set(FEED_TAGS),
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return xml_text(cleaned)


def xml_text(value: str) -> str:
    """``value`` without control, marker or other characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", markup.clean_text(value))


def _feed(settings: SiteSettings, title: str, page_url: str, feed_url: str) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(settings.root_url + page_url)
    feed.title(xml_text(title))
    feed.author({"name": xml_text(settings.title)})
    feed.link(href=settings.root_url + page_url, rel="alternate", type="text/html")
    feed.link(href=settings.root_url + feed_url, rel="self", type="application/atom+xml")
    feed.language(settings.locale)
    return feed


def _add(feed: FeedGenerator, url: str, title: str, when: datetime, content: str) -> None:
    item = feed.add_entry(order="append")
    item.id(url)
    item.title(xml_text(title))
    item.link(href=url, rel="alternate", type="text/html")
    item.published(when)
    item.updated(when)
    item.content(content, type="html")


def editions_feed(
    entries: Sequence[EditionEntry], settings: SiteSettings, whole: Callable[[EditionEntry], str]
) -> bytes:
    """``feed.xml``: the newest ``feed_size`` editions, each with all its sections."""
    fmt = Formatter(settings.locale)
    feed = _feed(settings, f"{settings.title}: {fmt.gettext('all editions')}", "", "feed.xml")
    newest = list(reversed(entries[-settings.feed_size :]))
    feed.updated(newest[0].local_slot if newest else EPOCH)
    for entry in newest:
        body = str(whole(entry))  # as on the edition page: each story once
        title = edition_title(fmt, entry)
        _add(feed, settings.root_url + entry.url, title, entry.local_slot, safe_feed_html(body))
    return bytes(feed.atom_str(pretty=True))


def edition_title(fmt: Formatter, entry: EditionEntry) -> str:
    """``Ochtendeditie van woensdag 21 januari 2026``."""
    values = {"edition": entry.edition.title, "date": fmt.date(entry.local_slot)}
    return fmt.gettext("%(edition)s of %(date)s") % values


def region_entry_title(fmt: Formatter, name: str, entry: EditionEntry) -> str:
    """``Groenland in Ochtendeditie van woensdag 21 januari 2026``."""
    return fmt.gettext("%(name)s in %(edition)s") % {
        "name": name,
        "edition": edition_title(fmt, entry),
    }


def region_feed(region: RegionInfo, settings: SiteSettings, fragment: Fragment) -> bytes:
    """``regio/<id>/feed.xml``: the region's section of each of its newest editions."""
    fmt = Formatter(settings.locale)
    base = f"regio/{region.slug}/"
    feed = _feed(settings, f"{settings.title}: {region.name}", base, base + "feed.xml")
    newest = list(reversed(region.entries[-settings.feed_size :]))
    feed.updated(newest[0].entry.local_slot if newest else EPOCH)
    for item in newest:
        entry = item.entry
        url = f"{settings.root_url}{entry.url}#section-{item.section.key}"
        title = region_entry_title(fmt, region.name, entry)
        content = safe_feed_html(fragment(entry, item.section))
        _add(feed, url, title, entry.local_slot, content)
    return bytes(feed.atom_str(pretty=True))


SITEMAP_URLS = 50_000  # the protocol's limit of addresses in one sitemap file
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap_files(
    pages: Iterable[tuple[str, datetime | None]],
) -> dict[str, list[tuple[str, datetime | None]]]:
    """The pages of each sitemap file, by file name: ``sitemap-<year>.xml`` for the
    pages whose newest edition is of that year (``sitemap-undated.xml`` for the
    rest), cut after :data:`SITEMAP_URLS` (``sitemap-2026-2.xml``). A new edition
    changes the file of its year (its pages, the front pages), not the older ones."""
    periods: dict[str, list[tuple[str, datetime | None]]] = {}
    for url, updated in pages:
        periods.setdefault(str(updated.year) if updated else "undated", []).append((url, updated))
    files = {}
    for period in sorted(periods):
        listed = periods[period]
        for part, start in enumerate(range(0, len(listed), SITEMAP_URLS), start=1):
            name = f"sitemap-{period}.xml" if part == 1 else f"sitemap-{period}-{part}.xml"
            files[name] = listed[start : start + SITEMAP_URLS]
    return files


def sitemap(pages: Iterable[tuple[str, datetime | None]], settings: SiteSettings) -> bytes:
    """A sitemap file listing ``pages`` (``lastmod``: its newest edition's date)."""
    return _sitemap_xml("urlset", "url", pages, settings)


def sitemap_index(files: Iterable[tuple[str, datetime | None]], settings: SiteSettings) -> bytes:
    """``sitemap.xml``: the sitemap files (``lastmod``: the newest page in each)."""
    return _sitemap_xml("sitemapindex", "sitemap", files, settings)


def _sitemap_xml(
    root: str, element: str, entries: Iterable[tuple[str, datetime | None]], settings: SiteSettings
) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<{root} xmlns="{SITEMAP_NS}">']
    for path, updated in entries:
        lastmod = f"<lastmod>{updated.date().isoformat()}</lastmod>" if updated else ""
        lines.append(
            f"<{element}><loc>{escape(settings.root_url + path)}</loc>{lastmod}</{element}>"
        )
    lines.append(f"</{root}>")
    return ("\n".join(lines) + "\n").encode()


def robots(settings: SiteSettings) -> bytes:
    """``robots.txt``: everything may be crawled; where the sitemap is.
    (Crawlers read it only at the root of a host.)"""
    return f"User-agent: *\nAllow: /\n\nSitemap: {settings.root_url}sitemap.xml\n".encode()
