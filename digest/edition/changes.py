"""What changed in a story since a reader last got it, from its own words.

Pure. Two texts in, the changed fragments out: the words of the old text that
were replaced or dropped beside the words that took their place, at most a few
short pairs, so that "Bijgewerkt: 3.700 → 4.100" can be shown without inventing
a word. Numbers keep their punctuation ("3.700", "12,5").
"""

from __future__ import annotations

import difflib
import re

MAX_CHANGES = 3
MAX_WORDS = 12  # a change longer than this is shown by its first words and "…"
_WORD = re.compile(r"\S+")
_EDGE = ".,;:!?\"'“”‘’()"


def changed_fragments(before: str, now: str) -> tuple[tuple[str, str], ...]:
    """``(old, new)`` fragments where ``now`` differs from ``before``, in text order.

    An insertion has an empty old side, a deletion an empty new side. Empty
    when the texts have the same words.
    """
    old, new = _WORD.findall(before), _WORD.findall(now)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    found: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pair = (_clip(old[i1:i2]), _clip(new[j1:j2]))
        if pair[0] != pair[1]:
            found.append(pair)
        if len(found) == MAX_CHANGES:
            break
    return tuple(found)


def _clip(words: list[str]) -> str:
    if not words:
        return ""
    if len(words) > MAX_WORDS:
        return " ".join(words[:MAX_WORDS]).rstrip(_EDGE) + " …"
    text = " ".join(words)
    return text.strip(_EDGE) or text
