"""Configured phrases (region keywords and exclude terms) found in text as whole words, folded."""

from __future__ import annotations

from collections.abc import Iterable

from digest.classify.gazetteer import (
    Tokens,
    WordScreen,
    key,
    locate,
)


class PhraseMatcher:
    """Finds configured phrases (keywords, exclude terms) in text.

    A phrase matches whole words, case and accents folded, words joined by
    spaces or hyphens, with an optional possessive ``s``; ``Chavist*`` matches
    every word starting with ``chavist``.
    """

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self._exact: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._stars: list[tuple[tuple[str, ...], str]] = []
        for phrase, payload in phrases:
            words = tuple(key(phrase.rstrip("*")).split())
            if not words:
                continue
            if phrase.endswith("*"):
                self._stars.append((words, payload))
                continue
            possessive = (*words[:-1], words[-1] + "s")
            for form in (words, possessive):
                self._exact.setdefault(form[0], []).append((form[1:], payload))
        for entries in self._exact.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        # A compiled screen: most texts hold no phrase's first word at all.
        self._screen = WordScreen(self._exact)
        self._star_heads = tuple(words[0] for words, _ in self._stars)
        # Where ``find`` may find anything: one of these words whole, or a word
        # beginning with one of these heads (for a screen over many texts at once).
        self.first_words, self.heads = tuple(self._exact), self._star_heads

    def find(self, tok: Tokens) -> list[tuple[str, str]]:
        """(surface, payload) for every phrase in the text, left to right."""
        if not self._screen.any(tok) and not any(h in tok.spaced for h in self._star_heads):
            return []
        words = tok.words
        found: list[tuple[str, str]] = []
        pos, skip = 0, -1
        for index, word in enumerate(words):
            hit = self._at(words, index) if index > skip else None
            if hit is None:
                continue
            used, payload = hit
            start = locate(tok.spaced, word, pos)
            last = words[index + used - 1]
            if used > 1:
                end = locate(tok.spaced, last, start + len(word)) + len(last)
            else:
                end = start + len(word)
            found.append((tok.text[start:end], payload))
            pos, skip = end, index + used - 1
        return found

    def _at(self, words: list[str], index: int) -> tuple[int, str] | None:
        for rest, payload in self._exact.get(words[index], ()):
            if tuple(words[index + 1 : index + 1 + len(rest)]) == rest:
                return 1 + len(rest), payload
        for phrase, payload in self._stars:
            tail = index + len(phrase) - 1
            fits = tail < len(words) and tuple(words[index:tail]) == phrase[:-1]
            if fits and words[tail].startswith(phrase[-1]):
                return len(phrase), payload
        return None
