"""Which countries an item is about, and which configured regions it belongs to.

Pure: values in, values out. Every decision carries its evidence, so an
editor can see why a brief landed where it did (``digest explain``).

Scoring
-------
Each form the gazetteer finds (see ``digest.classify.gazetteer``) and each region
keyword is a piece of *evidence* with a weight:

==========================  =====  ======  ========
evidence                    body   title   dateline
==========================  =====  ======  ========
country name, city, place   2      3       1
adjective, inhabitant       1      1.5     --
region keyword              2      3       1
==========================  =====  ======  ========

- Seats of international bodies (Brussel, Genève, Straatsburg, Davos) weigh
  half, wherever they appear, and never make a country on their own: a
  GENÈVE dateline is where the UN sits, not what the brief is about.
- The dateline says where a brief was filed, the text what it is about. A
  dateline country that the title and body never mention counts only when
  they name no other country or region (by name, city, place or keyword).
  So a NUUK dateline alone makes a brief about Groenland, even with "de
  Deense premier" in it, but ISTANBUL over a brief about Iran does not make
  it Turkish.
- A country's score is the sum of its evidence. The item is *about* every
  country scoring at least 1 and at least a quarter of the strongest
  country: in a long article about Russia one passing "Groenland" is not
  enough, in a three-line brief a single "Groenlandse minister" is.
- A region applies when nothing in its ``exclude`` list occurs, and the
  evidence for its countries plus its keywords passes the same bar.

``countries`` is ordered by score, strongest first, then by code; regions
keep the order of the regions file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from digest.classify.compiled import Joined
from digest.classify.gazetteer import (
    VENUE,
    Gazetteer,
    Hit,
    Screens,
    Tokens,
    WordScreen,
    load_gazetteer,
    tokens,
)
from digest.classify.phrases import PhraseMatcher
from digest.classify.regions import Label, Region
from digest.model import Item

NOTHING: Label = ((), ())

WEIGHTS = {"name": 2.0, "city": 2.0, "place": 2.0, "adjective": 1.0, "inhabitant": 1.0}
KEYWORD_WEIGHT = 2.0
TITLE_FACTOR = 1.5
DATELINE_WEIGHT = 1.0
VENUE_FACTOR = 0.5
MIN_SCORE = 1.0
PASSING_SHARE = 0.25
_STRONG = frozenset({"name", "city", "place"})


class Match(NamedTuple):
    """One piece of evidence: ``text`` as written, what it maps to, where, how much."""

    text: str
    kind: str  # name | adjective | inhabitant | city | place | blocker | keyword | exclude
    target: str | None  # a country code, or a region id for keyword and exclude
    where: str  # title | body | dateline
    weight: float
    note: str = ""
    venue: bool = False  # a seat of international bodies: never enough on its own


class Verdict(NamedTuple):
    """Whether a region was chosen, its score and the reason in words."""

    region: str
    chosen: bool
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Classification:
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    scores: tuple[tuple[str, float], ...]  # every country with evidence, strongest first
    matches: tuple[Match, ...]
    verdicts: tuple[Verdict, ...]

    def explain(self) -> str:
        """The evidence and the verdicts as indented lines for a terminal."""
        lines = ["  matches:"] if self.matches else ["  matches: none"]
        for m in self.matches:
            target = m.target or "-"
            note = f"  ({m.note})" if m.note else ""
            lines.append(
                f"    {m.where:<8} {m.text!r:<24} → {target:<10} {m.kind:<10} {m.weight:g}{note}"
            )
        shown = ", ".join(f"{c} {s:g}" for c, s in self.scores if c in self.countries)
        dropped = ", ".join(f"{c} {s:g}" for c, s in self.scores if c not in self.countries)
        lines.append(
            f"  countries: {shown or 'none'}" + (f"  (too weak: {dropped})" if dropped else "")
        )
        lines.append("  regions:")
        for v in self.verdicts:
            lines.append(
                f"    {v.region:<12} {'chosen' if v.chosen else 'not chosen':<10} {v.reason}"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "countries": list(self.countries),
            "regions": list(self.regions),
            "scores": dict(self.scores),
            "matches": [m._asdict() for m in self.matches],
            "verdicts": [v._asdict() for v in self.verdicts],
        }


def joined_items(items: Sequence[Item]) -> Joined:
    """The titles and texts of ``items`` in turn as one text for the compiled pass."""
    return Joined([part for item in items for part in (item.title or "", item.text)])


class Classifier:
    """Built once per region configuration; ``classify`` is then cheap and pure."""

    def __init__(self, regions: Sequence[Region], gazetteer: Gazetteer | None = None) -> None:
        self.regions = tuple(regions)
        self.gazetteer = gazetteer or load_gazetteer()
        self._members = {r.id: frozenset(r.countries) for r in self.regions}
        self._regions_of: dict[str, list[str]] = {}
        for region in self.regions:
            for code in region.countries:
                self._regions_of.setdefault(code, []).append(region.id)
        self._keywords = PhraseMatcher((t, r.id) for r in self.regions for t in r.keywords)
        self._excludes = PhraseMatcher((t, r.id) for r in self.regions for t in r.exclude)
        phrases = (self._keywords, self._excludes)
        self._phrase_screen = WordScreen(
            [w for p in phrases for w in p.first_words], [h for p in phrases for h in p.heads]
        )
        # One pass over a snapshot finds both the gazetteer's candidates and the
        # phrases' first words.
        self._screens = Screens(self.gazetteer.candidates, self._phrase_screen)
        self._no_evidence = {r.id: Verdict(r.id, False, 0.0, "no evidence") for r in self.regions}
        self._datelines: dict[str, list[Match]] = {}
        verdicts = tuple(self._no_evidence[r.id] for r in self.regions)
        self._nothing = Classification((), (), (), (), verdicts)

    def classify(self, item: Item) -> Classification:
        matches = self._matches(item)
        if not matches:
            return self._nothing
        scores, solid = _scores(matches)
        top = scores[0] if scores else ("", 0.0)
        floor = max(MIN_SCORE, PASSING_SHARE * top[1])
        evidence, excluded = self._by_region(matches, solid)
        verdicts = tuple(
            self._verdict(r.id, evidence.get(r.id), excluded.get(r.id), floor, top)
            for r in self.regions
        )
        return Classification(
            countries=tuple(c for c, s in scores if s >= floor),
            regions=tuple(v.region for v in verdicts if v.chosen),
            scores=scores,
            matches=tuple(matches),
            verdicts=verdicts,
        )

    def annotate(self, item: Item) -> Item:
        """The item with ``countries`` and ``regions`` filled in: the decisions of
        ``classify`` without the verdicts' wording, and the item itself when they
        are what it already holds (most briefs match nothing)."""
        regions, countries = self.label(self._matches(item))
        if regions == item.regions and countries == item.countries:
            return item
        return item.classified(regions, countries)

    def labels(self, items: Sequence[Item], joined: Joined | None = None) -> list[Label]:
        """``(regions, countries)`` of every item, as ``annotate`` decides them.

        One compiled pass over all titles and texts at once (``Joined``) finds
        every gazetteer form and every text that may hold a keyword or exclude
        term; Python then scores only what matched. An item whose title and text
        match nothing is decided by its dateline alone, once per dateline.
        """
        joined = joined or joined_items(items)
        candidates, phrase_starts = self._screens.starts(joined.tok)
        hits = joined.owners(self.gazetteer.find(joined.tok, candidates))
        phrased = {joined.owner(start) for start in phrase_starts}
        by_dateline: dict[str | None, Label] = {}
        out: list[Label] = []
        for index, item in enumerate(items):
            title, body = 2 * index, 2 * index + 1
            if title in hits or body in hits or title in phrased or body in phrased:
                out.append(self.label(self._joined_matches(item, joined, hits, phrased, index)))
                continue
            label = by_dateline.get(item.dateline)
            if label is None:
                matches = self.dateline_evidence(item.dateline) if item.dateline else []
                label = by_dateline[item.dateline] = self.label(self._discount_dateline(matches))
            out.append(label)
        return out

    def _joined_matches(
        self, item: Item, joined: Joined, hits: dict[int, list[Hit]], phrased: set[int], index: int
    ) -> list[Match]:
        """``_matches(item)`` from the hits of the compiled pass."""
        found = self.dateline_evidence(item.dateline) if item.dateline else []
        parts = (("title", item.title, TITLE_FACTOR), ("body", item.text, 1.0))
        for part, (where, text, factor) in enumerate(parts, start=2 * index):
            if text:
                tok = tokens(text) if part in phrased else None
                self._text_evidence(found, joined.text, hits.get(part, ()), where, factor, tok)
        return self._discount_dateline(found)

    def label(self, matches: list[Match]) -> Label:
        """The regions and countries that ``matches`` (after the dateline discount) make."""
        if not matches:
            return NOTHING
        scores, solid = _scores(matches)
        floor = max(MIN_SCORE, PASSING_SHARE * scores[0][1]) if scores else MIN_SCORE
        evidence, excluded = self._by_region(matches, solid)
        regions = tuple(
            r.id
            for r in self.regions
            if r.id not in excluded
            and (found := evidence.get(r.id))
            and sum(m.weight for m in found) >= floor
        )
        return regions, tuple(c for c, s in scores if s >= floor)

    def explain(self, item: Item) -> str:
        """A short heading for the item followed by ``Classification.explain``."""
        head = " ".join(item.text.split()[:10])
        place = f"{item.dateline} - " if item.dateline else ""
        title = f"{item.title}\n  " if item.title else ""
        return f"{title}{place}{head} ...\n{self.classify(item).explain()}"

    def _matches(self, item: Item) -> list[Match]:
        return self._discount_dateline(self._evidence(item))

    def _evidence(self, item: Item) -> list[Match]:
        found = self.dateline_evidence(item.dateline) if item.dateline else []
        for where, text, factor in (("title", item.title, TITLE_FACTOR), ("body", item.text, 1.0)):
            if text:
                tok = tokens(text)
                self._text_evidence(found, text, self.gazetteer.find(tok), where, factor, tok)
        return found

    def _text_evidence(
        self,
        found: list[Match],
        text: str,
        hits: Iterable[Hit],
        where: str,
        factor: float,
        tok: Tokens | None,
    ) -> None:
        """Add one title's or text's evidence to ``found``: its gazetteer ``hits``
        (positions in ``text``), then its keywords and exclude terms (``tok``; None
        when none can occur)."""
        found.extend(_gazetteer_match(text, hit, where, factor) for hit in hits)
        if tok is not None:
            found.extend(self._phrases(tok, where, KEYWORD_WEIGHT * factor))

    def dateline_evidence(self, dateline: str) -> list[Match]:
        """The matches of a dateline, remembered: the same places recur all day."""
        if dateline not in self._datelines:
            if len(self._datelines) > 10_000:
                self._datelines.clear()
            self._datelines[dateline] = self._read_dateline(dateline)
        return list(self._datelines[dateline])

    def _read_dateline(self, dateline: str) -> list[Match]:
        found = []
        for surface, term in self.gazetteer.place(dateline):
            venue = bool(term.flags & VENUE)
            weight = DATELINE_WEIGHT * (VENUE_FACTOR if venue else 1.0)
            note = _note(venue)
            found.append(Match(surface, term.kind, term.code, "dateline", weight, note, venue))
        return found + self._phrases(tokens(dateline), "dateline", DATELINE_WEIGHT)

    def _phrases(self, text: Tokens, where: str, weight: float) -> list[Match]:
        keywords = [Match(s, "keyword", r, where, weight) for s, r in self._keywords.find(text)]
        excludes = [Match(s, "exclude", r, where, 0.0) for s, r in self._excludes.find(text)]
        return keywords + excludes

    def _discount_dateline(self, matches: list[Match]) -> list[Match]:
        if not matches or matches[0].where != "dateline":
            return matches
        told = [m for m in matches if m.where != "dateline" and m.weight > 0]
        mentioned = {m.target for m in told if m.kind in WEIGHTS}
        out = []
        for m in matches:
            if m.where == "dateline" and m.kind in WEIGHTS and m.target not in mentioned:
                elsewhere = [o for o in told if self._points_away(o, m.target)]
                if elsewhere:
                    away = f"dateline only; the text is about {elsewhere[0].text!r}"
                    note = f"{m.note}; {away}" if m.note else away
                    m = m._replace(weight=0.0, note=note)
            out.append(m)
        return out

    def _points_away(self, match: Match, code: str | None) -> bool:
        if match.kind == "keyword":
            return code not in self._members.get(match.target or "", frozenset())
        strong = match.kind in _STRONG and match.weight >= WEIGHTS[match.kind]
        return strong and match.target != code

    def _by_region(
        self, matches: list[Match], solid: set[str]
    ) -> tuple[dict[str, list[Match]], dict[str, Match]]:
        evidence: dict[str, list[Match]] = {}
        excluded: dict[str, Match] = {}
        for m in matches:
            if m.kind == "exclude":
                excluded.setdefault(m.target or "", m)
            elif m.weight <= 0:
                continue
            elif m.kind == "keyword":
                evidence.setdefault(m.target or "", []).append(m)
            elif m.target in solid:
                for region_id in self._regions_of.get(m.target or "", ()):
                    evidence.setdefault(region_id, []).append(m)
        return evidence, excluded

    def _verdict(
        self,
        region_id: str,
        evidence: list[Match] | None,
        excluded: Match | None,
        floor: float,
        top: tuple[str, float],
    ) -> Verdict:
        if excluded is not None:
            return Verdict(
                region_id, False, 0.0, f"excluded by {excluded.text!r} ({excluded.where})"
            )
        if not evidence:
            return self._no_evidence[region_id]
        score = sum(m.weight for m in evidence)
        listed = "; ".join(
            f"{m.text!r} → {m.target} {m.kind}, {m.where} {m.weight:g}" for m in evidence
        )
        if score < MIN_SCORE:
            return Verdict(
                region_id, False, score, f"score {score:g} below {MIN_SCORE:g}: {listed}"
            )
        if score < floor:
            why = f"score {score:g} under a quarter of {top[0]} {top[1]:g}, mentioned in passing"
            return Verdict(region_id, False, score, f"{why}: {listed}")
        return Verdict(region_id, True, score, f"score {score:g}: {listed}")


def _scores(matches: list[Match]) -> tuple[tuple[tuple[str, float], ...], set[str]]:
    """Every country with solid evidence and its score, strongest first; and those countries."""
    totals: dict[str, float] = {}
    solid: set[str] = set()
    for m in matches:
        if m.weight > 0 and m.kind in WEIGHTS and m.target:
            totals[m.target] = totals.get(m.target, 0.0) + m.weight
            if not m.venue:
                solid.add(m.target)
    scores = tuple(sorted(((c, totals[c]) for c in solid), key=lambda cs: (-cs[1], cs[0])))
    return scores, solid


def _note(venue: bool, how: str = "exact") -> str:
    notes = [how] if how != "exact" else []
    if venue:
        notes.append("seat of international bodies, half weight")
    return ", ".join(notes)


def _gazetteer_match(text: str, hit: Hit, where: str, factor: float) -> Match:
    term = hit.term
    venue = bool(term.flags & VENUE)
    weight = WEIGHTS.get(term.kind, 0.0) * factor * (VENUE_FACTOR if venue else 1.0)
    if term.code is None:
        note = "not a country"
    else:
        note = _note(venue, hit.how) if venue or hit.how != "exact" else ""
    return Match(text[hit.start : hit.end], term.kind, term.code, where, weight, note, venue)
