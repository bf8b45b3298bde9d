"""Where any of many keys occurs in a text: one Aho-Corasick pass in compiled code.

The screens of the classifier ask for every occurrence of every key, overlapping
ones too (a word and a longer word that starts with it). ``ahocorasick-rs``
gives them as ``(key index, start, end)`` in one call, without a Python step
per match. The texts it scans are folded, so nearly always ASCII: those are
scanned as bytes, which is the fast path of the Rust crate (no decoding, and
byte offsets are character offsets); any other text is scanned as ``str``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick_rs

# Every match, overlapping ones included, in the order they end (what the
# screens need); the contiguous NFA is as fast here as the DFA at a hundredth
# of its memory and build time.
_KIND = ahocorasick_rs.MATCHKIND_STANDARD
_IMPLEMENTATION = ahocorasick_rs.Implementation.ContiguousNFA

#: One occurrence: the index of its key in ``Automaton.keys``, its start and end.
Match = tuple[int, int, int]


class Automaton:
    """Every occurrence of ``keys`` (not empty strings) in a text."""

    __slots__ = ("_ascii", "_ascii_index", "_text", "keys")

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        ascii_keys = [index for index, key in enumerate(self.keys) if key.isascii()]
        # An ASCII text holds no other key, so its automaton needs only these;
        # their indexes among all keys, unless they are all of them.
        self._ascii_index = None if len(ascii_keys) == len(self.keys) else ascii_keys
        self._ascii = (
            ahocorasick_rs.BytesAhoCorasick(
                [self.keys[i].encode() for i in ascii_keys],
                matchkind=_KIND,
                implementation=_IMPLEMENTATION,
            )
            if ascii_keys
            else None
        )
        self._text = (
            ahocorasick_rs.AhoCorasick(self.keys, matchkind=_KIND, implementation=_IMPLEMENTATION)
            if self.keys
            else None
        )

    def matches(self, text: str) -> list[Match]:
        """Every occurrence in ``text``, overlapping ones included, as
        ``(key index, start, end)`` in characters."""
        if text.isascii():
            if self._ascii is None:
                return []
            found = self._ascii.find_matches_as_indexes(text.encode("ascii"), overlapping=True)
            index = self._ascii_index
            if index is None:
                return found
            return [(index[key], start, end) for key, start, end in found]
        if self._text is None:
            return []
        return self._text.find_matches_as_indexes(text, overlapping=True)
