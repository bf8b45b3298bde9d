"""Story lines: the topical tier of event clustering, above the lexical one.

Pure. Some events are told in words that barely overlap: the Groenland crisis
is Danish troops in one brief, American import tariffs in the next and a
minister's warning in a third (in the seeds, the warning's lexical cosines
with the other three briefs are about 0.15 at most, below
:data:`digest.edition.cluster.THRESHOLD`). What they have in common is a
*foreign power* and *tension*. So within one region's section (never "Overig",
whose briefs share no region), two briefs belong to one story line when

1. they name a common **foreign state**: a country the classifier found that
   is not the section's home country (the country most of the section's
   briefs name; on a tie, every tied country is home), and
2. both carry a **tension term**: a word containing one of :data:`TENSION`
   (defence, trade war, sanctions, crisis, threat), compounds included
   (``Groenlandcrisis``, ``importheffingen``, ``defensieminister``).

Both conditions are required, and a brief joins the story line through the
lexical event it is already part of only when at least :data:`CORE` of that
event's briefs meet them: an event about inspections whose American brief
mentions sanctions in passing is not about the conflict. So the near misses
in ``tests/data/events.toml`` stay apart: climate research by Danish
scientists (a foreign state, no tension), a Greenland poll on independence
from Denmark (no tension term), a harbour's safety in Sisimiut (no foreign
state), an American drone strike beside the inspections event. Its known
limit: two different conflicts of one region with the same foreign power in
one edition (an American strike and American sanctions on Iran, each told
mostly in terms of tension) become one story line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

# Word parts that mark a brief as about tension between states; matched inside
# lower-cased words, so compounds count. Kept to conflict, defence and trade
# war: words such as "minister" or "regering" are in every political brief.
TENSION = (
    "militair",
    "leger",
    "troepen",
    "defensie",
    "fregat",
    "marine",
    "bezetting",
    "annex",
    "navo",
    "bondgeno",
    "veiligheid",
    "soevereinitei",
    "heffing",
    "tarief",
    "tarieven",
    "tegenmaatregel",
    "sanctie",
    "handelsoorlog",
    "crisis",
    "spanning",
    "dreig",
    "oorlog",
    "aanval",
)
CORE = 0.5  # share of an event's briefs that must be on the story line for it to join
_WORD = re.compile(r"[^\W\d_]+")


def tense(text: str) -> bool:
    """Whether ``text`` has a word containing one of :data:`TENSION`."""
    return any(part in word for word in _WORD.findall(text.lower()) for part in TENSION)


def home_countries(countries: Sequence[Sequence[str]]) -> set[str]:
    """The countries most of a section's briefs name (all of them on a tie)."""
    counts = Counter(code for codes in countries for code in set(codes))
    if not counts:
        return set()
    top = max(counts.values())
    return {code for code, count in counts.items() if count == top}


def storyline_pairs(
    texts: Sequence[str],
    groups: Sequence[str],
    countries: Sequence[Sequence[str]],
    regional: Sequence[bool],
    events: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of briefs of one regional section on one
    story line: a shared foreign state and a tension term in each. With
    ``events`` (per brief, a key of the lexical event it belongs to), only
    briefs of events with at least :data:`CORE` of their briefs on a story line."""
    states = _tension_states(texts, groups, countries, regional)
    if events is not None:
        size, core = Counter(events), Counter(events[i] for i in states)
        states = {i: s for i, s in states.items() if core[events[i]] >= CORE * size[events[i]]}
    by_state: dict[tuple[str, str], list[int]] = {}
    for i, codes in sorted(states.items()):
        for code in codes:
            by_state.setdefault((groups[i], code), []).append(i)
    pairs: list[tuple[int, int]] = []
    for linked in by_state.values():
        pairs += list(pairwise(linked))
    return sorted(set(pairs))


def _tension_states(
    texts: Sequence[str],
    groups: Sequence[str],
    countries: Sequence[Sequence[str]],
    regional: Sequence[bool],
) -> dict[int, set[str]]:
    """Per brief of a regional section with a tension term, the foreign states it names."""
    sections: dict[str, list[int]] = {}
    for index, key in enumerate(groups):
        if regional[index]:
            sections.setdefault(key, []).append(index)
    states: dict[int, set[str]] = {}
    for members in sections.values():
        home = home_countries([countries[i] for i in members])
        for i in members:
            foreign = set(countries[i]) - home
            if foreign and tense(texts[i]):
                states[i] = foreign
    return states
