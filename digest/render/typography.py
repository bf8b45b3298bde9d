"""Typography of brief text as readers see it: curly quotes and apostrophes, and a
non-breaking space that keeps a day and its month (``1 december``) on one line.

Applied to stories' titles and texts at render time (:func:`digest.render.markup.clean_edition`);
the stored text keeps the wire's own characters, so dedupe and revisions are unchanged.
Only quote characters and the one space change: the result has the same length and,
read back with straight quotes and plain spaces, the same characters.
"""

from __future__ import annotations

import re

MONTHS = "januari februari maart april mei juni juli augustus september oktober november december"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) (?=(?:{MONTHS.replace(' ', '|')})\b)", re.IGNORECASE)
_OPENS_AFTER = frozenset(" \t\n([{—–-/\u00a0")
_QUOTES = re.compile("[\"']")
_ELISIONS = ("s ", "t ", "n ")  # ’s ochtends, ’t Gooi, zo’n: an apostrophe, not a quote


def typographic(text: str) -> str:
    """``text`` with “double” and ‘single’ quotes curled, apostrophes as ’ and a
    non-breaking space between a day and its month."""
    text = _DAY_MONTH.sub("\\1\u00a0", text)
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
