"""Page chrome: how a snapshot's lines are cleaned, and which lines are not news.

Pure. Navigation, notices, tickers, rubric lines and title-like lines are
recognised here; the item grammar in :mod:`digest.ingest.wire` decides what to
do with them."""

from __future__ import annotations

import re
import unicodedata

_BREAKS = "\x0b\x0c\x85\u2028\u2029"


_SPACES = "\t\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))


_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff" + "".join(
    chr(code)
    for code in range(0xA0)
    if (code < 0x20 or code >= 0x7F) and chr(code) not in _BREAKS + "\t\n\r"
)


_REPLACEMENT = {char: " " for char in _SPACES} | {char: "" for char in _INVISIBLE}
_REPLACEMENT |= {char: "\n" for char in _BREAKS}


# str.translate looks up every character; a regex finds the rare odd ones far faster.
_ODD_CHARS = re.compile("[" + re.escape("".join(_REPLACEMENT)) + "]")


_CHROME_WORDS = frozenset(
    "lees meer|lees verder|lees ook|meer nieuws|net binnen|meest gelezen|laatste nieuws|"
    "deel dit artikel|deel|delen|share|advertentie|reclame|terug|terug naar boven|naar boven|"
    "home|menu|zoeken|zoek|inloggen|uitloggen|log in|volgende|vorige|meer laden|laad meer|"
    "toon meer|bekijk meer|bekijk ook|ook interessant|gerelateerd|video|foto|reageer|reacties|"
    "sluiten|accepteren|alles accepteren|akkoord|weigeren|instellingen|nieuwsbrief|abonneren|"
    "volg ons|tip de redactie|nieuws|privacy|privacyverklaring|privacybeleid|cookies|"
    "cookiebeleid|cookie-instellingen|contact|colofon|disclaimer|algemene voorwaarden|"
    "uitgelicht|populair|meer berichten|alle berichten|anp".split("|")
)


_CHROME_WORD_MAX = max(map(len, _CHROME_WORDS))


_CHROME_ANYWHERE = re.compile(
    r"©|\(c\) |copyright\b|alle rechten voorbehouden|(?:lees|bekijk) (?:ook|meer|verder)\b"
    r"|[-–•·*▪►] ?\S.*?\b(?:[01]?\d|2[0-3])[:.][0-5]\d\b",  # "- Buitenland 11:40 Kop" tickers
    re.IGNORECASE,
)


_CHROME_OUTSIDE = re.compile(
    r".*(?:webmail|cookie)|(?:foto|video|beeld) ?:|pagina \d|\d+(?: \d+)+$", re.IGNORECASE
)


RUBRICS = frozenset(
    "binnenland buitenland politiek economie financieel sport cultuur media opmerkelijk "
    "wetenschap tech techniek gezondheid koningshuis showbizz entertainment regio "
    "regionaal muziek film lifestyle".split()
)


_SENTENCE_END = (".", ":", ";", ",")


_TITLE_MAX = 200


# The ASCII characters that are not odd: what the check below may drop unseen.
_PLAIN_ASCII = bytes(code for code in range(128) if chr(code) not in _REPLACEMENT)


def _has_odd_chars(text: str) -> bool:
    """Whether ``text`` holds a character of ``_REPLACEMENT`` (``_ODD_CHARS.search``).

    Without its plain ASCII bytes, the UTF-8 of a text is the odd ASCII characters
    and every non-ASCII one (a multi-byte sequence holds no ASCII byte); a page
    holds few distinct ones, and this is all in C.
    """
    rest = text.encode("utf-8", "surrogatepass").translate(None, _PLAIN_ASCII)
    return bool(rest) and not _REPLACEMENT.keys().isdisjoint(rest.decode("utf-8", "surrogatepass"))


def normalise_lines(text: str) -> list[str]:
    """Lines with CR/CRLF, odd spaces, zero-width and control characters cleaned up."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _has_odd_chars(text):
        text = _ODD_CHARS.sub(lambda odd: _REPLACEMENT[odd.group()], text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = list(map(str.strip, text.split("\n")))
    if "  " in text:  # only a line with a double space inside has its runs collapsed
        lines = [" ".join(line.split()) if "  " in line else line for line in lines]
    return lines


def looks_like_title(text: str) -> bool:
    """Short and without a closing full stop (an ellipsis may end a headline)."""
    bare = text.rstrip("\"'”’»)")
    return len(text) <= _TITLE_MAX and (not bare.endswith(_SENTENCE_END) or bare.endswith("..."))


def looks_like_rubric(text: str) -> bool:
    return len(text) <= 40 and len(text.split()) <= 4 and not any(c.isdigit() for c in text)


def is_chrome(text: str, inside: bool) -> bool:
    """Navigation, notices and tickers; inside an item only the unmistakable kinds."""
    # Lower-casing never shortens a text nor yields ":>» ", so a text longer than
    # every chrome word after the strip cannot be one: a paragraph is not lowered.
    stripped = text.rstrip(":>» ")
    if (len(stripped) <= _CHROME_WORD_MAX and stripped.lower() in _CHROME_WORDS) or (
        _CHROME_ANYWHERE.match(text)
    ):
        return True
    return not inside and _CHROME_OUTSIDE.match(text) is not None
