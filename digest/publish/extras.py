"""The archive's files beside its pages and Atom feeds: topic feeds (Atom and
JSON Feed), region JSON Feeds and share images. Each is a job like the others
(:mod:`digest.publish.outputs`): a path, a key that changes whenever its bytes
can change, and a kind that says how to render it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.publish import follow
from digest.publish.follow import newest_stories
from digest.publish.pages import SHARE_IMAGE, Renderer
from digest.publish.share import share_png
from digest.publish.site import EditionEntry, SitePlan, SiteSettings, digest_of, settings_key
from digest.publish.stories import listed
from digest.render.environment import formatter_of, section_title_of

if TYPE_CHECKING:
    from collections.abc import Iterator

KINDS = frozenset({"topic-atom", "topic-json", "region-json", "share", "site-share"})


def extra_jobs(
    plan: SitePlan, settings: SiteSettings, site_key: str
) -> Iterator[tuple[str, str, str, int]]:
    """``(path, key, kind, index)`` of every extra file of ``plan``."""
    size, text = settings.feed_size, settings_key(settings)  # once: every key holds it
    for n, topic in enumerate(plan.topics):
        shown = [listed(s) for s in newest_stories(topic, size)]
        for name, kind in (("feed.xml", "topic-atom"), ("feed.json", "topic-json")):
            yield topic.url + name, digest_of(site_key, text, kind, topic.name, shown), kind, n
    for n, region in enumerate(plan.regions):
        parts = [(i.entry.url, i.entry.fingerprint) for i in region.entries[-size:]]
        key = digest_of(site_key, text, "json", region.name, parts)
        yield f"regio/{region.slug}/feed.json", key, "region-json", n
    for n, entry in enumerate(plan.entries):
        key = digest_of(site_key, settings.title, "share", entry.fingerprint)
        yield entry.url + SHARE_IMAGE, key, "share", n
    yield SHARE_IMAGE, digest_of(site_key, settings.title, "share"), "site-share", 0


def render_extra(kind: str, index: int, renderer: Renderer, plan: SitePlan) -> bytes:
    settings = renderer.settings
    if kind == "topic-atom":
        return follow.topic_atom(plan.topics[index], settings)
    if kind == "topic-json":
        return follow.topic_json(plan.topics[index], settings)
    if kind == "region-json":
        return follow.region_json(plan.regions[index], settings, renderer.feed_fragment)
    if kind == "share":
        return edition_share(plan.entries[index], renderer)
    return share_png(settings.title, formatter_of(renderer.env).gettext("Archive"), "", "")


def edition_share(entry: EditionEntry, renderer: Renderer) -> bytes:
    """The edition's share image: its title, date and contents line."""
    fmt = formatter_of(renderer.env)
    edition = entry.edition.for_regions(None)
    contents = " · ".join(
        f"{section_title_of(s, fmt)} ({fmt.number(len(s.briefs))})" for s in edition.sections
    )
    date = fmt.date(entry.local_slot, "full", entry.edition.zone)
    return share_png(renderer.settings.title, edition.title, date, contents)
