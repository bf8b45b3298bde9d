"""Topics to follow: configured keywords, and the places and people stories mention most.

Pure: the archive's stories in, :class:`TopicInfo` values out. A story is
about

- a **keyword** (``[archive] topics``) when a word of its title or text
  starts with it, whatever the case ("stikstof" finds "Stikstofcrisis");
- a **place** when its dateline names it (``DEN HAAG``, each part of
  ``TEHERAN/JERUZALEM``) or the classifier matched its country in the text
  (the gazetteer's matches, stored with the story);
- a **person** when its text names them: two or three capitalised words in
  a row ("Kaja Kallas", "Troels Lund Poulsen"), with particles (van, de, der)
  allowed between, that are neither places in the gazetteer nor titles or
  function words ("President", "De"). This is a heuristic: an organisation
  with a two-word name can pass for a person.

Places and people become topics when at least ``topic_min`` stories mention
them; the ``topic_places`` and ``topic_people`` most mentioned are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from digest.classify.gazetteer import Gazetteer, key, load_gazetteer
from digest.edition.address import slug
from digest.model import Story
from digest.publish.site import Page, SiteSettings
from digest.publish.stories import StoryInfo, listed

TOPIC_BASE = "onderwerp/"
KINDS = ("keyword", "place", "person")
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
_PARTICLE = r"(?:van|de|der|den|ter|ten|von|al|el|bin)"
_NAME = re.compile(rf"\b{_CAPITALISED}(?:\s+(?:{_PARTICLE}\s+)*{_CAPITALISED}){{1,3}}\b")
# A cheap first look: two capitalised words with at most two short words between.
_MAYBE_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+\s+(?:[a-z]{1,3}\s+){0,2}[A-ZÀ-ÖØ-Þ]")
_NOT_NAMES = frozenset(
    """
    de het een en in op aan bij met van voor uit over na naar om door ook maar dat die
    dit deze zo toen nu als of volgens tijdens sinds zonder tegen onder al alle
    president premier minister ministers koning koningin prins prinses paus generaal
    kanselier burgemeester staatssecretaris secretaris-generaal woordvoerder senator
    buitenlandse binnenlandse zaken defensie justitie financien economische
    ministerie kabinet regering parlement kamer tweede eerste europese commissie unie
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag
    januari februari maart april mei juni juli augustus september oktober november december
    anp afp reuters dpa belga ap nos
    """.split()
)


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A topic and its stories (oldest first)."""

    kind: str  # "keyword", "place" or "person"
    name: str
    slug: str
    stories: tuple[StoryInfo, ...]
    # the stories by the last edition that carried them, newest first: sorted
    # once here, not by each page and feed of the topic
    newest: tuple[StoryInfo, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "newest", tuple(newest_first(self.stories)))

    @property
    def url(self) -> str:
        return f"{TOPIC_BASE}{self.slug}/"


def collect_topics(
    stories: Sequence[StoryInfo],
    settings: SiteSettings,
    gazetteer: Gazetteer | None = None,
    mentions_of: Callable[[StoryInfo], Iterable[tuple[str, str]]] | None = None,
) -> list[TopicInfo]:
    """The site's topics: keywords first (in configured order), then places and
    people by how many stories mention them. ``mentions_of`` gives a story's
    :func:`mentions` when they are known already (``facts``)."""
    places = gazetteer or load_gazetteer()
    if mentions_of is None:
        mentions_of = lambda info: mentions(info.story, settings.topics, places)  # noqa: E731
    found: dict[tuple[str, str], list[StoryInfo]] = {}
    for info in stories:
        for kind, name in mentions_of(info):
            found.setdefault((kind, name), []).append(info)
    topics = [
        TopicInfo("keyword", word, slug(word), tuple(found.get(("keyword", word), ())))
        for word in settings.topics
    ]
    for kind, keep in (("place", settings.topic_places), ("person", settings.topic_people)):
        counts = Counter({n: len(s) for (k, n), s in found.items() if k == kind})
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        for name, count in ranked[:keep]:
            if count >= settings.topic_min:
                topics.append(TopicInfo(kind, name, slug(name), tuple(found[(kind, name)])))
    return _unique_slugs(topics)


def _unique_slugs(topics: list[TopicInfo]) -> list[TopicInfo]:
    """A place and a person (or keyword) of one name get ``-2``, ``-3``...: first come keeps it."""
    taken: set[str] = set()
    kept = []
    for topic in topics:
        name, n = topic.slug, 1
        while name in taken:
            n += 1
            name = f"{topic.slug}-{n}"
        taken.add(name)
        kept.append(
            topic if name == topic.slug else TopicInfo(topic.kind, topic.name, name, topic.stories)
        )
    return kept


def mentions(
    story: Story, keywords: Iterable[str], gazetteer: Gazetteer
) -> frozenset[tuple[str, str]]:
    """The ``(kind, name)`` of every keyword, place and person ``story`` mentions."""
    words = f"{story.title or ''}\n{story.text}"
    found: set[tuple[str, str]] = set()
    for word in keywords:
        if re.search(rf"(?<!\w){re.escape(word)}", words, re.IGNORECASE):
            found.add(("keyword", word))
    for surface, term in gazetteer.place(story.dateline) if story.dateline else ():
        found.add(("place", _place_name(surface, term.spelling)))
    for code in story.countries:
        name = gazetteer.countries.get(code)
        if name:
            found.add(("place", name))
    found |= {("person", name) for name in people(story.text, gazetteer)}
    return frozenset(found)


@lru_cache(maxsize=8192)
def _place_name(surface: str, spelling: str) -> str:
    """``DEN HAAG`` → ``Den Haag``, with the gazetteer's accents (``Genève``)."""
    base = spelling if spelling and len(spelling) == len(surface) else surface.lower()
    return "".join(
        c.upper() if i == 0 or (not base[i - 1].isalpha() and base[i - 1] != "'") else c
        for i, c in enumerate(base)
    )


def people(text: str, gazetteer: Gazetteer) -> set[str]:
    """The names of people ``text`` mentions (see the module docstring)."""
    found: set[str] = set()
    if not _MAYBE_NAME.search(text):
        return found
    for match in _NAME.finditer(text):
        words = match.group().split()
        while words and (words[0].lower() in _NOT_NAMES or key(words[0]) in gazetteer.terms):
            words.pop(0)
        capitalised = [w for w in words if w[:1].isupper()]
        if len(capitalised) < 2 or any(w.lower() in _NOT_NAMES for w in capitalised):
            continue
        if (
            any(key(w) in gazetteer.terms for w in capitalised)
            or key(" ".join(words)) in gazetteer.terms
        ):
            continue
        found.add(" ".join(words))
    return found


def newest_first(stories: Sequence[StoryInfo]) -> list[StoryInfo]:
    """``stories`` by the last edition that carried them, newest first."""
    return sorted(stories, key=lambda s: (s.carried[-1].entry.local_slot, s.story.id), reverse=True)


def topic_pages(
    topics: Sequence[TopicInfo], key_of: Callable[..., str], per_page: int
) -> list[Page]:
    """One page per topic (its newest ``4 × per_page`` stories) and the list ``onderwerp/``."""
    pages = []
    for topic in topics:
        shown = topic.newest[: 4 * per_page]
        parts = [topic.kind, topic.name, [listed(s) for s in shown]]
        context = {"topic": topic, "shown": shown}
        newest = shown[0].last_shown if shown else None
        pages.append(Page(topic.url, "archive/topic.html", context, key_of("topic", parts), newest))
    counts = [(t.kind, t.name, t.url, len(t.stories)) for t in topics]
    newest = max((p.updated for p in pages if p.updated is not None), default=None)
    context = {"topics": tuple(topics)}
    pages.append(Page(TOPIC_BASE, "archive/topics.html", context, key_of("topics", counts), newest))
    return pages
