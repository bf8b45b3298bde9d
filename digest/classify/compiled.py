"""Many texts scanned as one: the compiled pass of whole-snapshot classification.

The titles and texts of a snapshot are joined into one string, so that each
Aho-Corasick automaton and each translation runs once, in C, over all of them.
The separator keeps every matcher's view of a text as it was alone: it holds
no letter or digit (so no word or phrase runs across it) and it is longer than
the farthest any check looks around a form (20 characters before, 40 after).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from digest.classify.gazetteer import Hit, Tokens, tokens

SEPARATOR = "\n" + "\x00" * 46 + "\n"


class Joined:
    """``texts`` joined by ``SEPARATOR``; ``tok`` is the joined text prepared once."""

    __slots__ = ("_tok", "ids", "starts", "text")

    def __init__(self, texts: Sequence[str]) -> None:
        # Empty texts (most briefs have no title) are left out of the joined text.
        starts, ids, position, step = [], [], 0, len(SEPARATOR)
        for index, text in enumerate(texts):
            if text:
                starts.append(position)
                ids.append(index)
                position += len(text) + step
        self.starts: list[int] = starts
        self.ids: list[int] = ids
        self.text = SEPARATOR.join(filter(None, texts))
        self._tok: Tokens | None = None

    @property
    def tok(self) -> Tokens:
        if self._tok is None:
            self._tok = tokens(self.text)
        return self._tok

    def owner(self, position: int) -> int:
        """The index of the text that holds ``position`` of the joined text."""
        return self.ids[bisect_right(self.starts, position) - 1]

    def owners(self, hits: Iterable[Hit]) -> dict[int, list[Hit]]:
        """``hits`` of the joined text by the index of the text each lies in."""
        found: dict[int, list[Hit]] = {}
        for hit in hits:
            found.setdefault(self.owner(hit.start), []).append(hit)
        return found

    def found(self, pattern: re.Pattern[str]) -> set[int]:
        """The indexes of the texts where ``pattern`` matches (it must not match
        ``SEPARATOR``)."""
        return {self.owner(match.start()) for match in pattern.finditer(self.text)}
