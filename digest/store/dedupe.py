"""Which items are the same story: pure rules, no store.

Two sightings are the same *revision* when their normalised content is
identical (same content hash). A sighting is a new revision of a known story
when the agency reworded it: same kind and dateline, close in time, and most
of the words still shared. Publication times are reconciled by intersecting
the intervals each capture allows.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.model import Item

SAME_STORY_MIN_JACCARD = 0.5
SAME_STORY_MAX_GAP = timedelta(hours=36)
_WORD = re.compile(r"\w+")
# Words too common in Dutch news to say anything about which story it is.
_STOPWORDS = frozenset(
    "de het een en van in op te dat die is voor met zijn niet aan er om ook als bij "
    "door maar naar dan nog wel over uit zo tot was werd worden wordt heeft hebben "
    "zegt zei dit deze ze hij zij we wij anp afp rtr dpa".split()
)


def normalise(text: str) -> str:
    """Case-, space- and Unicode-form-insensitive text, for hashing."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Every whitespace character but the ASCII space is unprintable, so a printable
    # text without doubled, leading or trailing spaces is already what split and
    # join would make of it (most texts are: it spares a list of their words).
    if folded.isprintable() and "  " not in folded and folded[:1] != " " and folded[-1:] != " ":
        return folded
    return " ".join(folded.split())


def content_hash(item: Item) -> str:
    """Identity of one revision: kind, dateline, title and text, normalised."""
    parts = (item.kind, item.dateline or "", item.title or "", item.text)
    return hashlib.sha256("\x1f".join(map(normalise, parts)).encode()).hexdigest()


def story_id(first_revision_hash: str) -> str:
    """A story's id: stable across runs and databases for the same first revision."""
    return first_revision_hash[:16]


def signature(text: str) -> frozenset[str]:
    """The telling words of a text, for comparing revisions."""
    words = _WORD.findall(normalise(text))
    return frozenset(w for w in words if len(w) > 2 and w not in _STOPWORDS)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two signatures (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the matcher needs to know of a stored story."""

    id: str
    kind: str
    dateline: str | None
    title: str | None
    published_at: datetime | None
    signature: frozenset[str]
    updated_at: datetime | None = None  # when its latest wording was published


def match_key(
    kind: str, dateline: str | None, title: str | None
) -> tuple[str, str | None, str | None]:
    """What two sightings must share to be compared at all: kind and dateline,
    or kind and title for items without a dateline."""
    return (kind, dateline, None if dateline else title)


def close_in_time(a: datetime | None, b: datetime | None) -> bool:
    return a is None or b is None or abs(a - b) <= SAME_STORY_MAX_GAP


def is_revision_of(item: Item, item_signature: frozenset[str], candidate: Candidate) -> bool:
    """Whether ``item`` is a reworded revision of ``candidate``."""
    if item.kind != candidate.kind or item.dateline != candidate.dateline:
        return False
    if item.dateline is None and (item.title is None or item.title != candidate.title):
        return False
    # Close to the story's first publication or to its latest wording: a story the
    # wire rewords day after day stays one story.
    latest = candidate.updated_at or candidate.published_at
    if not (
        close_in_time(item.published_at, candidate.published_at)
        or close_in_time(item.published_at, latest)
    ):
        return False
    return similarity(item_signature, candidate.signature) >= SAME_STORY_MIN_JACCARD


def best_match(
    item: Item, item_signature: frozenset[str], candidates: list[Candidate]
) -> Candidate | None:
    """The most similar candidate that ``item`` is a revision of, if any."""
    matches = [c for c in candidates if is_revision_of(item, item_signature, c)]
    return max(matches, key=lambda c: similarity(item_signature, c.signature), default=None)


def reconcile(
    earliest_a: datetime | None,
    latest_a: datetime | None,
    earliest_b: datetime | None,
    latest_b: datetime | None,
) -> tuple[datetime | None, datetime | None]:
    """Intersect two publication intervals; keep the first if they contradict."""
    if latest_b is None:
        return earliest_a, latest_a
    if latest_a is None:
        return earliest_b, latest_b
    latest = min(latest_a, latest_b)
    lowers = [e for e in (earliest_a, earliest_b) if e is not None]
    earliest = max(lowers) if lowers else None
    if earliest is not None and earliest > latest:
        return earliest_a, latest_a
    return earliest, latest
