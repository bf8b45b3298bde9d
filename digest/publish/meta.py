"""What the archive's templates get besides their page's context: story links,
the timeline, schema.org JSON-LD and the names of countries and topic kinds.

``json_ld`` writes a ``<script type="application/ld+json">`` that no brief
text can break out of (``<``, ``>`` and ``&`` are escaped as JSON ``\\u``
sequences, which JSON readers decode back).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from digest.classify.gazetteer import load_gazetteer
from digest.edition.address import slug
from digest.publish.stories import typeset
from digest.publish.timeline import change_html, timeline
from digest.render.environment import N_, formatter_of

TOPIC_KINDS = {"keyword": N_("Subjects"), "place": N_("Places"), "person": N_("People")}
TOPIC_KIND = {"keyword": N_("Subject"), "place": N_("Place"), "person": N_("Person")}
_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def json_ld(data: dict[str, Any]) -> Markup:
    """``data`` as a JSON-LD script element, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _UNSAFE.items():
        text = text.replace(char, escaped)
    return Markup(f'<script type="application/ld+json">{text}</script>')


def collection_ld(
    name: str, url: str, parts: Sequence[str], root: str = "", locale: str = "nl"
) -> dict[str, Any]:
    """A schema.org ``CollectionPage`` listing the pages at ``parts`` (archive addresses)."""
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": name,
        "url": url,
        "inLanguage": locale,
        "mainEntity": {
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "url": root + part}
                for n, part in enumerate(parts, start=1)
            ],
        },
    }


def install_archive_globals(env: jinja2.Environment, story_href: Callable[[str], Markup]) -> None:
    """Add the archive's helpers to ``env`` (the mail's environment never has them)."""
    gettext = formatter_of(env).gettext
    countries = load_gazetteer().countries
    env.globals.update(
        story_href=story_href,
        story_timeline=timeline,
        change_html=change_html,
        json_ld=json_ld,
        region_slug=slug,
        country_name=lambda code: countries.get(code, code),
        topic_kind=lambda kind: gettext(TOPIC_KIND[kind]),
        topic_kinds=lambda kind: gettext(TOPIC_KINDS[kind]),
    )
    env.filters["region_url"] = lambda region_slug: f"regio/{region_slug}/"
    env.filters["typeset"] = typeset
