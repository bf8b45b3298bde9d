"""Kinds of event: a strike is not a storm, however many words their briefs share.

Pure. A brief's *kinds* are the kinds of :data:`KINDS` whose words it has, by
Snowball stem, as a word or as the head of a compound (``treinstaking`` →
strike, ``presidentsverkiezingen`` → election, ``bosbrand`` → fire). Two briefs
that each name a kind, and no kind in common, are about different events: a
national train strike and a storm that stops the trains share ``treinen``,
``rijden`` and ``land``, not their kind. A brief without a kind (a follow-up
that names only the consequences) agrees with any. The kinds are coarse on
purpose, so that one event told in other words keeps a kind in common: an
explosion and a fire are one kind, so are a storm and its floods, an attack,
an air strike and a shooting.

A compound's first part of at least :data:`QUALIFIER` letters qualifies its
kind: ``presidentsverkiezingen`` and ``gouverneursverkiezingen`` are both
elections, but not one election. Two briefs agree on a kind when one of them
names it unqualified (``verkiezingen``) or both with the same first part. The
rule also parts synonyms (``treinstaking``, ``spoorstaking``); a third brief
that says ``staking`` still agrees with each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

KINDS = {
    "staking": "staking stakingen staken staakt staakten stakers werkonderbreking",
    "noodweer": (
        "storm stormen orkaan windstoten noodweer tyfoon cycloon onweer "
        "overstroming overstromingen wateroverlast hoogwater"
    ),
    "aardbeving": "aardbeving aardbevingen beving naschok naschokken tsunami",
    "brand": "brand branden bosbrand explosie explosies ontploffing",
    "geweld": (
        "aanslag aanslagen aanval aanvallen bombardement bombardementen "
        "beschieting beschietingen schietpartij steekpartij"
    ),
    "verkiezing": "verkiezing verkiezingen referendum",
    "ongeluk": "ongeluk ongelukken ongeval ongevallen botsing crash aanrijding ontsporing",
    "executie": "executie executies doodvonnis doodvonnissen terechtstelling doodstraf",
}
SHORTEST = 4  # letters of the shortest kind stem ("beef", of "beving")
QUALIFIER = 5  # shortest first part that qualifies a kind ("presidents", not "bos" of "bosbrand")

Kinds = frozenset[tuple[str, str]]  # (kind, the first part of its compound or "")


def agree(a: Kinds, b: Kinds) -> bool:
    """Whether two texts' kinds allow one event: one names none, or both name
    a kind that one of them has unqualified or both with the same first part."""
    if not a or not b or not a.isdisjoint(b):
        return True
    for kind in {k for k, _ in a} & {k for k, _ in b}:
        first = {q for k, q in a if k == kind}
        second = {q for k, q in b if k == kind}
        if "" in first or "" in second or first & second:
            return True
    return False


class KindFinder:
    """The kinds of a text's stems, with the stemmer the clustering uses."""

    def __init__(self, stem: Callable[[str], str]) -> None:
        self._by_stem = {stem(w): kind for kind, words in KINDS.items() for w in words.split()}
        self._longest = max(map(len, self._by_stem))
        self._seen: dict[str, tuple[str, str] | None] = {}

    def kinds(self, stems: Iterable[str]) -> frozenset[str]:
        """The kinds whose stems end one of ``stems`` (whole or as a compound's head)."""
        return frozenset(kind for kind, _ in self.qualified(stems))

    def qualified(self, stems: Iterable[str]) -> Kinds:
        """:meth:`kinds`, each with the first part of its compound when that
        part has at least :data:`QUALIFIER` letters, else ``""``."""
        found = (self._kind(s) for s in stems)
        return frozenset(k for k in found if k is not None)

    def _kind(self, stem: str) -> tuple[str, str] | None:
        if stem not in self._seen:
            ends = (stem[-size:] for size in range(SHORTEST, min(len(stem), self._longest) + 1))
            end = next((e for e in ends if e in self._by_stem), None)
            if end is None:
                self._seen[stem] = None
            else:
                first = stem[: -len(end)]
                self._seen[stem] = (self._by_stem[end], first if len(first) >= QUALIFIER else "")
        return self._seen[stem]
