"""Story pages: one page per story, its wordings as a timeline, the editions that carried it.

Pure: placed editions and the stored revisions in, :class:`StoryInfo` values
and their pages out. A story lives at ``verhaal/<slug>-<id>.html``: the slug is
made from the headline the *first* edition that carried it showed, and the
id is the store's stable story id, so the address never moves (recorded
editions never change, and a later edition only comes after).

Revisions come from the store (every wording it ever saw). When a build is
given editions alone (tests, benchmarks), the wordings the editions carried
stand in for them, each at the moment it was first shown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.edition.headline import headline
from digest.model import EditionBrief, Revision, Story
from digest.publish.site import EditionEntry, Page
from digest.render.markup import clean_text
from digest.render.typography import typographic

STORY_BASE = "verhaal/"
SLUG_WORDS = 8
_SLUG_BAD = re.compile(r"[^a-z0-9]+")
_FOLD = str.maketrans("áàâäãåéèêëíìîïóòôöõúùûüýÿçñ", "aaaaaaeeeeiiiiooooouuuuyycn")


@dataclass(frozen=True, slots=True)
class Carrying:
    """One edition that carried the story, and the story as it showed it."""

    entry: EditionEntry
    section_key: str
    section_title: str
    brief: EditionBrief


@dataclass(frozen=True, slots=True)
class StoryInfo:
    """A story as its page shows it: the newest wording the archive carried, all
    its stored wordings (oldest first) and the editions that carried it (oldest first)."""

    story: Story
    url: str
    revisions: tuple[Revision, ...]
    carried: tuple[Carrying, ...]
    regions: tuple[tuple[str, str], ...]  # (region id, name) of the sections that held it

    @property
    def id(self) -> str:
        return self.story.id

    @property
    def headline(self) -> str:
        """The entry headline an edition would give it, typeset for readers."""
        return _typeset_headline(self.story.text, self.story.title)

    @property
    def text(self) -> str:
        """The newest wording as readers see it (curly quotes, no control characters)."""
        return typeset(self.story.text)

    @property
    def first_shown(self) -> datetime:
        """When the first edition that carried it went out (``Edition.issued_at``:
        its slot, or when it was built if that was late), as its page says."""
        return self.carried[0].entry.edition.issued_at

    @property
    def last_shown(self) -> datetime:
        """When the last edition that carried it went out (see :attr:`first_shown`)."""
        return self.carried[-1].entry.edition.issued_at


# A story page asks for its headline and text several times (title, JSON-LD,
# heading) and its edition's body typesets the same wording again: per process,
# each wording is typeset once. Bounded, so memory stays flat in the archive's size.
TYPESET_CACHE = 8192


@functools.lru_cache(maxsize=TYPESET_CACHE)
def _typeset_headline(text: str, title: str | None) -> str:
    return typeset(headline(text, title))


@functools.lru_cache(maxsize=TYPESET_CACHE)
def typeset(text: str) -> str:
    """``text`` as the mail shows brief text (:func:`digest.render.markup.clean_text`
    and Dutch typography)."""
    return typographic(clean_text(text))


def story_slug(text: str) -> str:
    """``drie-doden-bij-aardbeving-in-turkije``: at most :data:`SLUG_WORDS` words."""
    folded = text.lower().translate(_FOLD)
    words = [w for w in _SLUG_BAD.split(folded) if w][:SLUG_WORDS]
    return "-".join(words)[:80].strip("-") or "bericht"


def story_url(first: Story) -> str:
    """The story's address, from the first words the first edition that carried it showed
    (its title, else its text: cheap, and fixed once that edition is recorded)."""
    words = (first.title or first.text).split(maxsplit=SLUG_WORDS)[:SLUG_WORDS]
    return f"{STORY_BASE}{story_slug(' '.join(words))}-{first.id}.html"


def collect_stories(
    entries: Sequence[EditionEntry],
    revisions: Mapping[str, Sequence[Revision]] | None = None,
    urls: Mapping[str, str] | None = None,
) -> list[StoryInfo]:
    """Every story the editions carried, in order of first appearance. ``urls``
    gives each story's :func:`story_url` (as the first edition that carried it
    showed it), when it is known already (``facts``)."""
    carried: dict[str, list[Carrying]] = {}
    regions: dict[str, dict[str, str]] = {}
    for entry in entries:
        shown: set[str] = set()
        for section in entry.edition.sections:
            for brief in section.briefs:
                if section.region_id is not None:
                    regions.setdefault(brief.story.id, {})[section.region_id] = section.title
                if brief.story.id in shown:  # a story about two regions: listed once
                    continue
                shown.add(brief.story.id)
                item = Carrying(entry, section.key, section.title, brief)
                carried.setdefault(brief.story.id, []).append(item)
    infos = []
    for story_id, items in carried.items():
        stored = tuple(revisions.get(story_id, ())) if revisions is not None else ()
        infos.append(
            StoryInfo(
                story=items[-1].brief.story,
                url=urls[story_id] if urls is not None else story_url(items[0].brief.story),
                revisions=stored or _shown_wordings(items),
                carried=tuple(items),
                regions=tuple(regions.get(story_id, {}).items()),
            )
        )
    return infos


def _shown_wordings(items: Sequence[Carrying]) -> tuple[Revision, ...]:
    """The distinct wordings the editions carried, each when first seen."""
    if len(items) == 1:  # most stories: carried once
        story = items[0].brief.story
        return (Revision(1, story.first_seen, story.title, story.text),)
    found: list[Revision] = []
    for item in items:
        story = item.brief.story
        if found and found[-1].text == story.text and found[-1].title == story.title:
            continue
        moment = story.updated_at if found and story.updated_at else story.first_seen
        found.append(Revision(len(found) + 1, moment, story.title, story.text))
    return tuple(found)


def listed(info: StoryInfo) -> tuple[object, ...]:
    """What a list of stories (a topic page, a topic feed) shows of ``info``, for its
    key: its address, the wording editions carried and when, and its stored
    wordings (their number, and the newest one's moment: "2 versies", a feed's
    updated date), which the store can change with no new edition."""
    newest = info.revisions[-1].seen_at.timestamp() if info.revisions else None
    return (info.url, info.story.revisions, info.last_shown.timestamp(), len(info.revisions),
            newest)  # fmt: skip


def story_pages(
    stories: Sequence[StoryInfo],
    key: Callable[..., str],
    topics: Mapping[str, Sequence[tuple[str, str]]],
) -> list[Page]:
    """One page per story; its key changes with its wordings, its editions and
    ``topics`` (story id -> the ``(name, url)`` of the topics it belongs to)."""
    pages = []
    for info in stories:
        story = info.story  # a wording's number and moment identify its text
        follow = tuple(topics.get(story.id, ()))
        updated = story.updated_at.timestamp() if story.updated_at else None
        stamps = ";".join([f"{r.number}@{r.seen_at.timestamp()}" for r in info.revisions])
        carried = ";".join(
            [f"{c.entry.url}#{c.section_key}{c.brief.updated:d}" for c in info.carried]
        )
        page_key = key("story", info.url, story.revisions, updated, stamps, carried,
                       info.regions, follow)  # fmt: skip
        context = {"story": info, "topics": follow}
        shown = info.carried[-1].entry.local_slot
        pages.append(Page(info.url, "archive/story.html", context, page_key, shown))
    return pages
