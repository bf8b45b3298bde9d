"""What planning derives from each edition on its own, kept between publishes.

Planning the archive asks two costly questions of every story an edition
carried: the address its page would get if this edition were the first to
carry it (a slug of its first words), and the topics it mentions (keywords,
dateline places, gazetteer countries, people found by a regular expression).
Both depend only on the story as that edition carried it, on the configured
keywords and on the gazetteer, so they are computed once per edition and
stored in ``.archive.generations/facts.sqlite`` under the edition's
fingerprint and a key of those inputs (:func:`facts_key`). A later publish
reads them back instead of re-deriving them for every story of the archive.

A cache only, like :mod:`digest.publish.cache`: rows of other keys are
dropped when it opens, and an unreadable file is deleted and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from digest import __version__
from digest.classify.gazetteer import Gazetteer
from digest.model import Story
from digest.publish.cache import open_cache
from digest.publish.site import EditionEntry, digest_of

FACTS_NAME = "facts.sqlite"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS facts (edition TEXT PRIMARY KEY, site TEXT NOT NULL, data BLOB)"
)

BATCH = 256  # editions derived per transaction
KEEP_EDITIONS = 64  # editions' facts kept in memory while planning
Mention = tuple[str, str]  # (kind, name): ("place", "Den Haag")
# its page's address and its mentions (read back from JSON as lists: only iterated)
StoryFacts = Sequence[Any]


@cache
def gazetteer_fingerprint() -> str:
    """Changes when the shipped gazetteer changes (its mentions with it)."""
    data = resources.files("digest").joinpath("data/gazetteer.json").read_bytes()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def facts_key(keywords: Sequence[str]) -> str:
    """Everything an edition's facts depend on besides the edition itself."""
    return digest_of("facts", __version__, gazetteer_fingerprint(), list(keywords))


def edition_facts(
    entry: EditionEntry, keywords: Sequence[str], gazetteer: Gazetteer
) -> dict[str, StoryFacts]:
    """Story id -> (address, mentions) of every story ``entry`` carried."""
    from digest.publish.stories import story_url
    from digest.publish.topics import mentions

    found: dict[str, StoryFacts] = {}
    for section in entry.edition.sections:
        for brief in section.briefs:
            story: Story = brief.story
            if story.id not in found:
                found[story.id] = (story_url(story), sorted(mentions(story, keywords, gazetteer)))
    return found


class FactsCache:
    """Each edition's facts by fingerprint, in SQLite at ``path``, for ``key``."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._db = self._open()
        self._recent: dict[str, dict[str, StoryFacts]] = {}
        self._db.execute("DELETE FROM facts WHERE site != ?", (key,))

    def _open(self) -> sqlite3.Connection:
        return open_cache(self.path, SCHEMA, "facts cache")

    def keep(
        self, entries: Iterable[EditionEntry], keywords: Sequence[str], gazetteer: Gazetteer
    ) -> None:
        """Derive and store the facts of the entries the cache lacks."""
        known = {row[0] for row in self._db.execute("SELECT edition FROM facts")}
        new = []
        for entry in entries:
            if entry.fingerprint not in known:
                known.add(entry.fingerprint)
                facts = edition_facts(entry, keywords, gazetteer)
                new.append((entry.fingerprint, self.key, _encode(facts)))
            if len(new) >= BATCH:
                self._insert(new)
        self._insert(new)

    def _insert(self, rows: list[tuple[str, str, bytes]]) -> None:
        if rows:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?)", rows)
            rows.clear()

    def of(self, fingerprint: str) -> dict[str, StoryFacts]:
        """The facts of the edition ``fingerprint`` (after :meth:`keep`): the last
        few are kept in memory, so that planning, which asks in edition order,
        reads each edition once and never holds the facts of the whole archive."""
        found = self._recent.get(fingerprint)
        if found is None:
            query = "SELECT data FROM facts WHERE edition = ?"
            row = self._db.execute(query, (fingerprint,)).fetchone()
            if row is None:
                raise KeyError(f"no facts kept for edition {fingerprint}")
            found = self._recent[fingerprint] = _decode(row[0])
            if len(self._recent) > KEEP_EDITIONS:
                del self._recent[next(iter(self._recent))]
        return found

    def close(self) -> None:
        self._db.close()


def _encode(facts: dict[str, StoryFacts]) -> bytes:
    rows = {sid: [url, sorted(found)] for sid, (url, found) in facts.items()}
    return zlib.compress(json.dumps(rows, ensure_ascii=False).encode(), 1)


def _decode(data: bytes) -> dict[str, StoryFacts]:
    rows: dict[str, StoryFacts] = json.loads(zlib.decompress(data))
    return rows
