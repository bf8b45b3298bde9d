"""Headlines from a brief's own words: extractive, never a word the brief lacks.

Pure. The rules, in order (README, "Headlines"):

1. A brief with a title of its own keeps it.
2. Take the lead sentence: the text up to the first ``.``, ``!`` or ``?``
   followed by a space and a capital or a quote (not after a single capital,
   a digit or a known abbreviation such as ``mr.`` or ``St.``).
3. Move a trailing attribution out: ``…, zegt Kallas.``, ``…, meldt
   Reuters.``, ``…, aldus de politie.``, ``…, heeft de minister gezegd.``
   lose the clause from the last comma before the reporting verb.
4. Within :data:`BUDGET` characters: cut at the last comma that leaves at
   least :data:`MIN_CLAUSE` characters (not when the sentence opens with a
   subordinate clause, ``Terwijl …, wil Trump …``), else before the first
   word opening a relative clause (``waarover``, ``waarin``, ``waarmee``…),
   else before the last word opening a trailing phrase (``na``, ``zolang``,
   ``vanwege``, ``op``…), each leaving as much, else at the last word
   boundary; then
   drop dangling words at the end of a cut (articles, prepositions,
   conjunctions: ``de``, ``van``, ``en``, ``dat``…; never ``niet`` or
   ``geen``) and trailing punctuation. A sentence within the budget is kept
   whole, its last ``uit`` or ``niet`` with it (``sluit … niet uit``).
5. The first letter is made a capital (the only change to a word).

Where the grammar does not allow moving the attribution out, it stays: in
``Iran zegt dat het internet … wordt hersteld`` the clause after ``dat`` has
subordinate word order, and no word may be moved.

So a headline's words are always the brief's words, in the brief's order,
with only the first letter's case changed.
"""

from __future__ import annotations

import re

BUDGET = 100
MIN_CLAUSE = 40
_ABBREVIATIONS = ("mr", "dr", "st", "ca", "nr", "mw", "jl", "vs", "bijv", "o.a", "m.n", "e.d")
_END = re.compile(r"[.!?][\"”’]?(?=\s+[\"“‘'A-ZÀ-Ý0-9])")
_REPORTING = (
    r"zegt|zei|zeggen|zeiden|meldt|melden|meldde|meldden|schrijft|schreef|aldus|"
    r"stelt|stelde|waarschuwt|waarschuwde|verklaart|verklaarde|laat|liet|"
    r"bevestigt|bevestigde|benadrukt|benadrukte|blijkt|bleek|"
    r"heeft|hebben|maakte|maakten"
)
_ATTRIBUTION = re.compile(rf",\s+(?:{_REPORTING})\b[^,]*$")
# "heeft"/"hebben"/"maakte" only report when the clause ends so ("heeft X gezegd").
_REPORTED_END = re.compile(r"\b(?:gezegd|gemeld|bekendgemaakt|bekend|laten weten|weten)$")
_WEAK_START = re.compile(r"^(?:heeft|hebben|maakte|maakten)\b")
DANGLING = frozenset(
    """de het een en of maar van in op aan met voor naar bij door om over uit tot te
    als dat die dan zoals terwijl omdat waar wat wie na tegen zonder onder tussen
    zijn haar hun zich""".split()
)
# A sentence opening with a subordinate clause: the part before its comma is no headline.
_SUBORDINATE = re.compile(
    r"^[\"“‘']?(?:terwijl|nu|omdat|hoewel|als|nadat|voordat|ondanks|zodra|sinds|toen|wanneer)\b",
    re.IGNORECASE,
)
# Words that open a trailing phrase: a cut just before one leaves a whole clause.
_PHRASE = re.compile(
    r" (?=(?:na|nu|zolang|vanwege|wegens|om|tegen|in|op|met|voor|door|bij|"
    r"sinds|tijdens|zonder|omdat|terwijl|waardoor|nadat|voordat|als|aan|uit|"
    r"over|onder|naar|tot|volgens)\b)"
)
# Words that open a relative clause: a cut before the first one leaves the main clause.
_RELATIVE = re.compile(
    r" (?=(?:waarover|waarin|waarmee|waarbij|waarop|waaraan|waarvan|waarvoor|waaruit|waarna)\b)"
)
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_EDGE = " ,;:–-—\"“”‘’'("


def _collapsed(text: str) -> str:
    """``text`` with runs of spaces and line breaks as one space; a non-breaking
    space (``3.700\u00a0doden``, see :mod:`digest.render.typography`) is kept, so
    no cut ever falls inside it."""
    return _SPACES.sub(" ", text).strip(" ")


def lead_sentence(text: str) -> str:
    """The first sentence of ``text`` (all of it when no sentence end is found)."""
    text = _collapsed(text)
    for match in _END.finditer(text):
        before = text[: match.start()].rsplit(" ", 1)[-1].lower()
        if len(before) <= 1 or before.rstrip(".") in _ABBREVIATIONS:
            continue
        return text[: match.end()]
    return text


def is_one_sentence(text: str) -> bool:
    """Whether ``text`` is all in its first sentence (:func:`lead_sentence` loses no word)."""
    return lead_sentence(text) == _collapsed(text)


def without_attribution(sentence: str) -> str:
    """``sentence`` less a trailing reporting clause (``…, zegt Kallas.``)."""
    core = sentence.rstrip(' .!?"”’')
    match = _ATTRIBUTION.search(core)
    if match is None:
        return sentence
    clause = match.group(0).lstrip(", ")
    if _WEAK_START.match(clause) and not _REPORTED_END.search(clause):
        return sentence
    kept = core[: match.start()]
    return kept if len(kept) >= MIN_CLAUSE // 2 else sentence


def within_budget(sentence: str, budget: int = BUDGET) -> str:
    """``sentence`` cut to ``budget`` characters at a clause or word boundary."""
    sentence = sentence.strip()
    if len(sentence) <= budget:  # whole: a last "uit" or "niet" belongs to the verb
        return sentence.rstrip(" .!?").strip(" ,;:")
    head = sentence[: budget + 1]
    comma = head.rfind(",")
    if comma >= MIN_CLAUSE and not _SUBORDINATE.match(sentence):
        return _trimmed(head[:comma])
    relative = next((m.start() for m in _RELATIVE.finditer(head) if m.start() >= MIN_CLAUSE), None)
    if relative is not None:  # everything after it belongs to the relative clause
        return _trimmed(head[:relative])
    starts = [m.start() for m in _PHRASE.finditer(head) if m.start() >= MIN_CLAUSE]
    if starts:
        return _trimmed(head[: starts[-1]])
    space = head.rfind(" ")
    return _trimmed(head[:space]) if space > 0 else sentence.split(" ", 1)[0].strip(_EDGE)


def _trimmed(text: str) -> str:
    words = text.rstrip(_EDGE + ".!?").split(" ")
    while len(words) > 3 and words[-1].lower().strip(_EDGE) in DANGLING:
        words.pop()
    return " ".join(words).strip(_EDGE).rstrip(".")


def headline(text: str, title: str | None = None, budget: int = BUDGET) -> str:
    """The headline of a brief: its own title, else the key clause of its lead sentence."""
    if title and title.strip():
        return _collapsed(title)
    clause = within_budget(without_attribution(lead_sentence(text)), budget)
    return clause[:1].upper() + clause[1:]
