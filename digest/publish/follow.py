"""Feeds to follow a topic or a region: Atom for each topic, JSON Feed 1.1 for
topics and regions (``feed.json`` beside each ``feed.xml``).

Like :mod:`digest.publish.feeds`, every date comes from the editions and the
stored revisions, never from the clock, and every piece of brief text is
escaped, then run through the same allow-list sanitiser.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup

from digest.publish.feeds import (
    EPOCH,
    Fragment,
    _feed,
    region_entry_title,
    safe_feed_html,
    xml_text,
)
from digest.publish.site import RegionInfo, SiteSettings
from digest.publish.stories import StoryInfo
from digest.publish.topics import TopicInfo
from digest.render import markup
from digest.render.i18n import Formatter

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def newest_stories(topic: TopicInfo, size: int) -> list[StoryInfo]:
    """The topic's ``size`` most recently carried stories, newest first."""
    return list(topic.newest[:size])


def story_html(info: StoryInfo) -> str:
    """The story's newest wording as sanitised HTML paragraphs."""
    story = info.story
    parts = []
    for n, paragraph in enumerate(markup.paragraphs(info.text)):
        lead = Markup("")
        if n == 0 and story.dateline:
            agencies = "/".join(story.agencies)
            place = f"{story.dateline} ({agencies})" if agencies else story.dateline
            lead = Markup("<strong>%s</strong> – ") % place
        parts.append(Markup("<p>%s%s</p>") % (lead, paragraph))
    return safe_feed_html(str(Markup("").join(parts)))


def _updated(info: StoryInfo) -> datetime:
    return max(info.last_shown, info.revisions[-1].seen_at) if info.revisions else info.last_shown


def topic_atom(topic: TopicInfo, settings: SiteSettings) -> bytes:
    """``onderwerp/<slug>/feed.xml``: the topic's newest stories, one entry each."""
    feed = _feed(settings, f"{settings.title}: {topic.name}", topic.url, topic.url + "feed.xml")
    newest = newest_stories(topic, settings.feed_size)
    feed.updated(max((_updated(s) for s in newest), default=EPOCH))
    for info in newest:
        item = feed.add_entry(order="append")
        url = settings.root_url + info.url
        item.id(url)
        item.title(xml_text(info.headline))
        item.link(href=url, rel="alternate", type="text/html")
        item.published(info.first_shown)
        item.updated(_updated(info))
        item.content(story_html(info), type="html")
    return bytes(feed.atom_str(pretty=True))


def topic_json(topic: TopicInfo, settings: SiteSettings) -> bytes:
    """``onderwerp/<slug>/feed.json`` (JSON Feed 1.1)."""
    items = []
    for info in newest_stories(topic, settings.feed_size):
        url = settings.root_url + info.url
        items.append(
            {
                "id": url,
                "url": url,
                "title": info.headline,
                "content_html": story_html(info),
                "summary": markup.one_line(info.text)[:300],
                "date_published": info.first_shown.isoformat(),
                "date_modified": _updated(info).isoformat(),
                "tags": [topic.name],
            }
        )
    return _json_feed(settings, f"{settings.title}: {topic.name}", topic.url, items)


def region_json(region: RegionInfo, settings: SiteSettings, fragment: Fragment) -> bytes:
    """``regio/<id>/feed.json``: the region's section of each of its newest editions."""
    fmt = Formatter(settings.locale)
    base = f"regio/{region.slug}/"
    items = []
    for entry_item in reversed(region.entries[-settings.feed_size :]):
        entry = entry_item.entry
        url = f"{settings.root_url}{entry.url}#section-{entry_item.section.key}"
        items.append(
            {
                "id": url,
                "url": url,
                "title": region_entry_title(fmt, region.name, entry),
                "content_html": safe_feed_html(fragment(entry, entry_item.section)),
                "date_published": entry.local_slot.isoformat(),
                "tags": [region.name],
            }
        )
    return _json_feed(settings, f"{settings.title}: {region.name}", base, items)


def _json_feed(
    settings: SiteSettings, title: str, page_url: str, items: Sequence[dict[str, Any]]
) -> bytes:
    feed = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": settings.root_url + page_url,
        "feed_url": settings.root_url + page_url + "feed.json",
        "language": settings.locale,
        "authors": [{"name": settings.title}],
        "items": list(items),
    }
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode()
