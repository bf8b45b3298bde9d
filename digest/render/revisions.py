"""What changed in an updated brief, marked inside its own text.

Pure. The text a reader last got and the text now in; the paragraphs of the
text now out, each as runs of ``(text, changed)``. Words (a number whole:
``3.700``, ``12,5``) are compared with :mod:`difflib`; a word of the new text
that replaced old words or was added is *changed*, so a new number (``4.100``)
and a reworded clause are marked where they stand, punctuation and the space
around a change left out of the mark. Dropped words
leave no mark in the text: the "bijgewerkt" line beside it names them
(:func:`digest.edition.changes.changed_fragments`).
"""

from __future__ import annotations

import difflib
import re

from digest.render import markup

Runs = list[tuple[str, bool]]
# Words (a number keeps its separators: 3.700, 12,5), punctuation, and space
# (a non-breaking one too: "4.100 doden" compares as two words, so only the
# number is marked when only the number changed).
_TOKEN = re.compile(r"\w+(?:[.,’'-]\w+)*|[^\w\s]+|\s+")


def marked_paragraphs(before: str, now: str) -> list[Runs]:
    """``now``'s paragraphs (as :func:`markup.paragraphs` gives them), each as
    ``(text, changed)`` runs that join back into the paragraph."""
    old = [t for t in _TOKEN.findall(before) if not t.isspace()]
    paragraphs = [_TOKEN.findall(p) for p in markup.paragraphs(now)]
    new = [t for tokens in paragraphs for t in tokens if not t.isspace()]
    changed = _changed_indexes(old, new)
    out: list[Runs] = []
    index = 0
    for tokens in paragraphs:
        flags: list[bool] = []
        for token in tokens:
            if token.isspace():
                flags.append(False)
                continue
            flags.append(index in changed and any(c.isalnum() for c in token))
            index += 1
        out.append(_runs(tokens, flags))
    return out


def _runs(tokens: list[str], flags: list[bool]) -> Runs:
    """Tokens joined into runs; a space between two changed tokens is inside the mark."""
    runs: Runs = []
    for i, token in enumerate(tokens):
        inside = 0 < i < len(tokens) - 1 and flags[i - 1] and flags[i + 1]
        flag = flags[i] or (token.isspace() and inside)
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + token, flag)
        else:
            runs.append((token, flag))
    return runs


def _changed_indexes(old: list[str], new: list[str]) -> set[int]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return {
        j
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for j in range(j1, j2)
    }
