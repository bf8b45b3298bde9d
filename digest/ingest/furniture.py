"""The furniture other news sites put around ANP items: bylines, photo ids and
captions, sidebars and teaser lists, share rows, footers and navigation.

Pure predicates over one normalised line; :mod:`digest.ingest.wire` decides
what each means for the item grammar (a byline opens the next item's header,
a sidebar heading closes the item before it, the rest is dropped). They are
built for the *shape* of such lines, not for one site's wording: a photo id is
letters then a long number, a caption ends in a credit, a byline is ``door``
and a name or agency, a footer is short parts between bars.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.ingest.dateline import KNOWN_AGENCIES, UPPER
from digest.ingest.reltime import TIME_RE

_AGENCY_LIST = rf"(?i:{KNOWN_AGENCIES})(?:\s*[/,+&]\s*(?i:{KNOWN_AGENCIES}))*"
_NAME_WORD = rf"[{UPPER}][\w'’.-]*"
_PARTICLES = r"(?:van|de|der|den|het|ter|ten|te|von|da|di|du|le|la|al|el|bin|y|'t|'s)"
_BYLINE = re.compile(
    rf"(?i:door|bron|tekst|redactie|bewerkt door|geschreven door)\s*:?\s+"
    rf"(?:{_AGENCY_LIST}|(?i:onze|de) \w+|(?i:redactie)\b.{{0,30}}"
    rf"|{_NAME_WORD}(?: (?:{_PARTICLES}|{_NAME_WORD})){{0,4}})"
    rf"(?:\s*(?:[/,&]|\ben\b)\s*(?:{_AGENCY_LIST}|{_NAME_WORD}(?: {_NAME_WORD}){{0,3}}))*"
)
_AGENCY_ONLY = re.compile(rf"{_AGENCY_LIST}|(?i:redactie)")
#: ``anp190126127 1``, ``ANP-470856797``, ``EPA-EFE_12345678``, ``AFP_34XY9Z``.
_PHOTO_ID = re.compile(r"(?:[A-Za-z]{2,10}[-_ ]?){1,2}\d[\dA-Za-z_]{5,}(?:[ _-]\d{1,3})?")
_CREDIT = r"[\w&'’ /,-]{1,60}"
_CAPTION = re.compile(
    rf".*(?:(?:[Ⓒ©]|\((?:c|C)\))\s*(?:(?i:foto|beeld|fotograaf)\s*:?\s*)?{_CREDIT}"
    rf"|\b(?i:foto|beeld|fotograaf|foto's)\s*:\s*{_CREDIT}"
    rf"|\((?i:foto|beeld)\s*:?[^)]{{0,60}}\)\s*)"
)
_SIDEBAR = frozenset(
    "loading|laden|bezig met laden|populair nieuws|populair|meest gelezen|meest bekeken|"
    "meer nieuws|laatste nieuws|het laatste nieuws|ook interessant|gerelateerd|"
    "gerelateerde artikelen|uitgelicht|bekijk ook|lees ook|meer over dit onderwerp|"
    "aanbevolen|trending|nu populair|ook in het nieuws|andere berichten|over ons|adverteren|"
    "vacatures|klantenservice|veelgestelde vragen|sitemap|algemene voorwaarden|"
    "privacyverklaring|privacybeleid|cookiebeleid|cookie-instellingen|download de app".split("|")
)
_SHARE_WORDS = frozenset(
    "facebook twitter x whatsapp linkedin e-mail email mail pinterest messenger telegram "
    "reddit bluesky threads instagram youtube tiktok delen deel kopieer link print printen "
    "url share via op dit artikel bericht".split()
)
_NAV_WORDS = frozenset(
    "home nieuws sport weer video regio binnenland buitenland politiek economie cultuur "
    "media show opmerkelijk wetenschap tech gezondheid webmail menu zoeken inloggen "
    "abonneren podcast podcasts puzzels puzzel games verkeer tv radio live blog liveblog "
    "mijn account profiel shop winkel contact service".split()
)
_BARS = re.compile(r"\s*[|·•]\s*")
_COOKIE = re.compile(
    r".*\bcookies?\b.*\b(?:accept|akkoord|toestemming|gebruik|plaats|instellingen|voorkeur)",
    re.IGNORECASE,
)
_TIME_PREFIX = re.compile(
    r"(?:gepubliceerd|geplaatst|bijgewerkt|aangepast|laatste update|update|geüpdatet)"
    r"(?:\s+op)?\s*:?\s+",
    re.IGNORECASE,
)
#: ``(ANP) - De ...`` or ``(afp/belga) De ...``: a dateline without its place.
BARE_AGENCY = re.compile(rf"\(\s*(?P<agencies>{_AGENCY_LIST})\s*\)\s*[-–—]?\s*(?P<body>\S.*)")
#: ``... tekst. (ANP)`` or ``(ANP)`` alone: the agency mark some sites put last.
TRAILING_AGENCY = re.compile(rf"(?P<body>.*?)\s*\(\s*(?P<agencies>{_AGENCY_LIST})\s*\)")
#: ``- De Amerikaanse president ...``: a dateline whose place and agency were stripped.
STRIPPED_DATELINE = re.compile(rf"[-–—]\s+(?P<body>[{UPPER}\"'‘“„].{{30,}})")
_RUBRIC_WORDS = frozenset(
    "binnenland buitenland politiek economie financieel sport cultuur media opmerkelijk "
    "wetenschap tech techniek gezondheid koningshuis showbizz entertainment regio "
    "regionaal muziek film lifestyle samenleving algemeen wereld nederland belgië europa "
    "misdaad justitie klimaat milieu onderwijs verkeer weer show achtergrond analyse "
    "nieuws 112 auto reizen geld werk wonen zorg defensie oorlog verkiezingen "
    "royalty binnen- buitenlands".split()
)


def agency_names(printed: str) -> tuple[str, ...]:
    return tuple(re.split(r"\s*[/,+&]\s*", printed.upper()))


def is_byline(text: str) -> bool:
    """``door anp``, ``Door Redactie``, ``Bron: ANP/AFP``, ``door Jan de Vries``."""
    return len(text) <= 80 and (
        _BYLINE.fullmatch(text) is not None or _AGENCY_ONLY.fullmatch(text) is not None
    )


def is_photo_id(text: str) -> bool:
    return len(text) <= 40 and " " not in text.strip()[:-3] and bool(_PHOTO_ID.fullmatch(text))


def is_caption(text: str) -> bool:
    """A photo credit line: ``... Ⓒ foto REUTERS``, ``Foto: ANP``, ``(foto: ANP)``,
    ``ANP / Jan Fotograaf``."""
    return len(text) <= 400 and (
        _CAPTION.fullmatch(text) is not None or _CREDIT_LINE.fullmatch(text) is not None
    )


_CREDIT_LINE = re.compile(
    rf"(?:{_AGENCY_LIST})\s*[/|]\s*{_NAME_WORD}(?: (?:{_PARTICLES}|{_NAME_WORD})){{0,5}}"
)
_BYLINE_AND_TIME = re.compile(r"(?P<byline>.{4,80}?)\s*(?:[|·•,–-]\s*|\s)(?P<time>\d.*|\w+dag\b.*)")


def split_byline(line: str) -> Sequence[str]:
    """``door anp | 19 januari 2026, 12:34`` → the byline and the date line apart."""
    if line[:1] not in "dDbBrRtT":
        return (line,)
    found = _BYLINE_AND_TIME.fullmatch(line)
    if found and is_byline(found["byline"]) and TIME_RE.fullmatch(found["time"]):
        return (found["byline"], found["time"])
    return (line,)


def is_person_name(text: str) -> bool:
    """A name alone on a line (a caption or byline): ``Donald Trump``, ``Mark van der Berg``."""
    words = text.split()
    if not 2 <= len(words) <= 5 or len(text) > 50:
        return False
    names = [w for w in words if re.fullmatch(_NAME_WORD, w) and not w.isupper()]
    particles = [w for w in words if re.fullmatch(_PARTICLES, w)]
    return (
        len(names) + len(particles) == len(words)
        and len(names) >= 2
        and re.fullmatch(_NAME_WORD, words[0]) is not None
        and not any(c.isdigit() for c in text)
    )


_SIDEBAR_PREFIX = re.compile(
    r"(?:meer (?:nieuws |berichten |artikelen )?over|meest (?:gelezen|bekeken) in|"
    r"ook interessant voor|populair in|meer video's)\b[^.!?]{0,40}",
    re.IGNORECASE,
)


def is_sidebar_head(text: str) -> bool:
    """A heading that ends the article text: sidebars, teaser lists, share rows, footers."""
    return (
        text.lower().rstrip(":>»… .").strip() in _SIDEBAR
        or _SIDEBAR_PREFIX.fullmatch(text) is not None
    )


def is_share_row(text: str) -> bool:
    words = re.findall(r"[\w-]+", text.lower())
    return bool(words) and len(words) <= 10 and all(w in _SHARE_WORDS for w in words)


def is_bar_row(text: str) -> bool:
    """``Privacy | Cookies | Contact``: short parts between bars (footer, menu)."""
    parts = [p for p in _BARS.split(text) if p]
    return (
        len(parts) >= 2
        and len(_BARS.findall(text)) >= 1
        and all(len(p.split()) <= 4 and not p.endswith((".", "!", "?")) for p in parts)
    )


def is_nav_row(text: str) -> bool:
    """``Home Sport Weer``: a menu flattened onto one line."""
    words = text.lower().split()
    return len(words) >= 2 and all(w in _NAV_WORDS for w in words)


def is_cookie_notice(text: str) -> bool:
    return _COOKIE.match(text) is not None


def is_rubric(text: str) -> bool:
    return text.lower().rstrip(":") in _RUBRIC_WORDS


def is_furniture(text: str) -> bool:
    """Never news, wherever it stands: photo ids, captions, names alone, share, menus, cookies."""
    return (
        is_photo_id(text)
        or is_caption(text)
        or is_share_row(text)
        or is_bar_row(text)
        or is_nav_row(text)
        or is_cookie_notice(text)
        or is_person_name(text)
    )


def strip_time_prefix(line: str) -> str:
    """``Gepubliceerd op 19 januari 2026 12:34`` → ``19 januari 2026 12:34``."""
    prefix = _TIME_PREFIX.match(line) if line[:1] in "GgBbAaLlUu" else None
    return line[prefix.end() :] if prefix else line


_SENTENCE = re.compile(r".{40,}[.!?][\"'”’)]?")


def looks_like_news(lines: list[str]) -> bool:
    """A page with several long sentences or an agency mark: it should have yielded items."""
    sentences = sum(1 for line in lines if _SENTENCE.fullmatch(line))
    return sentences >= 2 or any(BARE_AGENCY.search(line) for line in lines if "(" in line)
