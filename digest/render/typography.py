"""Typography of brief text as readers see it: curly quotes and apostrophes, and
non-breaking spaces that keep on one line a day and its month (``1 december``), a
number and what it counts or measures (``3.700 doden``, ``5,9 procent``,
``20 miljoen euro``, ``€ 20``) and the digit groups of a number written with
spaces (``3 700``).

Applied to stories' titles and texts at render time (:func:`digest.render.markup.clean_edition`);
the stored text keeps the wire's own characters, so dedupe and revisions are unchanged.
Only quote characters and the one space change: the result has the same length and,
read back with straight quotes and plain spaces, the same characters.
"""

from __future__ import annotations

import re

MONTHS = "januari februari maart april mei juni juli augustus september oktober november december"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) (?=(?:{MONTHS.replace(' ', '|')})\b)", re.IGNORECASE)
# A number, then a space before a lower-case word or a sign: what it counts or
# measures (``3.700 doden``, ``5,9 procent``). Not a year (``in 2025 zeker``):
# four digits from 1800 to 2199 with no separator.
_LOWER = "[a-zß-ÿ%‰°]"
_COUNT = re.compile(rf"(?<![\w.,])(?!(?:18|19|20|21)\d\d\b)(\d+(?:[.,]\d+)*) (?={_LOWER})")
_SCALE = re.compile(rf"(\d\u00a0(?:miljoen|miljard)) (?={_LOWER})")  # 20 miljoen euro
_CURRENCY = re.compile(r"([€$£]) (?=\d)")
_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3}) (?=\d{3}(?!\d))")  # 3 700
_OPENS_AFTER = frozenset(" \t\n([{—–-/\u00a0")
_QUOTES = re.compile("[\"']")
# Every pattern above needs a digit or a currency sign: most briefs' sentences
# hold neither, and one search is cheaper than five substitutions.
_NEEDS_SPACES = re.compile(r"[\d€$£]")
_ELISIONS = ("s ", "t ", "n ")  # ’s ochtends, ’t Gooi, zo’n: an apostrophe, not a quote


def typographic(text: str) -> str:
    """``text`` with “double” and ‘single’ quotes curled, apostrophes as ’ and
    non-breaking spaces in dates and numbers (see the module)."""
    if _NEEDS_SPACES.search(text):
        for pattern in (_DAY_MONTH, _GROUPS, _COUNT, _SCALE, _CURRENCY):
            text = pattern.sub("\\1\u00a0", text)
    if '"' not in text and "'" not in text:
        return text  # most briefs: nothing to curl (a quarter of an archive build)

    def curl(match: re.Match[str]) -> str:
        i = match.start()
        before = text[i - 1] if i else " "
        opens = before in _OPENS_AFTER
        if match.group() == '"':
            return "“" if opens else "”"
        after = text[i + 1 : i + 3]
        apostrophe = (before.isalnum() and after[:1].isalnum()) or (
            opens and (after in _ELISIONS or after[:1].isdigit())
        )
        return "’" if apostrophe or not opens else "‘"

    return _QUOTES.sub(curl, text)
