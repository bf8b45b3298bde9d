"""A story's wordings as a timeline: what changed at each revision, numbers marked.

Pure. Stored revisions in, :class:`Step` values out. Each change is the
words that were replaced beside the words that replaced them, with the
word that follows as context, so a step reads "3.700 → 4.100 doden".
Numbers ("3.700", "12,5") are marked so that the page can highlight them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from digest.model import Revision
from digest.render.typography import typographic

MAX_CHANGES = 4
MAX_WORDS = 14
_WORD = re.compile(r"\S+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_EDGE = ".,;:!?\"'“”‘’()"


@dataclass(frozen=True, slots=True)
class Change:
    """``old`` words became ``new`` (either may be empty), followed by ``after``."""

    old: str
    new: str
    after: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One revision of the story: when it was seen, its text, what changed."""

    revision: Revision
    changes: tuple[Change, ...]
    more: bool  # more changed than the changes shown

    @property
    def seen_at(self) -> datetime:
        return self.revision.seen_at

    @property
    def first(self) -> bool:
        return self.revision.number == 1


def timeline(revisions: Sequence[Revision]) -> list[Step]:
    """The story's steps, oldest first; the first step has no changes."""
    steps: list[Step] = []
    previous: Revision | None = None
    for revision in revisions:
        if previous is None:
            steps.append(Step(revision, (), False))
        else:
            changes = changes_between(previous.text, revision.text)
            if previous.title != revision.title and revision.title:
                changes = (Change(previous.title or "", revision.title), *changes)
            steps.append(Step(revision, changes[:MAX_CHANGES], len(changes) > MAX_CHANGES))
        previous = revision
    return steps


def changes_between(before: str, now: str) -> tuple[Change, ...]:
    """Where ``now`` differs from ``before``, in text order, each with the next word."""
    old, new = _WORD.findall(before), _WORD.findall(now)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    found: list[Change] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        after = new[j2].strip(_EDGE) if j2 < len(new) and not _NUMBER.search(new[j2]) else ""
        found.append(Change(_clip(old[i1:i2]), _clip(new[j1:j2]), after))
    return tuple(found)


def _clip(words: list[str]) -> str:
    if len(words) > MAX_WORDS:
        return " ".join(words[:MAX_WORDS]).rstrip(_EDGE) + " …"
    text = " ".join(words)
    return text.strip(_EDGE) or text


def marked(text: str) -> Markup:
    """``text`` escaped, each number in ``<mark class="num">``."""
    parts: list[str] = []
    last = 0
    for match in _NUMBER.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<mark class="num">%s</mark>') % match.group())
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def change_html(change: Change) -> Markup:
    """``<del>3.700</del> → <ins>4.100</ins> doden`` (numbers marked, Dutch typography)."""
    old = Markup("<del>%s</del>") % marked(typographic(change.old)) if change.old else Markup("")
    new = Markup("<ins>%s</ins>") % marked(typographic(change.new)) if change.new else Markup("")
    after = Markup(" %s") % typographic(change.after) if change.after else Markup("")
    if change.old and change.new:
        return Markup("%s → %s%s") % (old, new, after)
    if change.new:
        return Markup("+ %s%s") % (new, after)
    return Markup("− %s") % old
