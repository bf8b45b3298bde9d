"""Where an edition lives in the archive, so that a mail can link to its page.

Pure. An edition is at ``YYYY/MM/DD/<name>/`` (its slot's local date); a second
edition of one name on one day gets ``<name>-HHMM/``, so adding a later one
moves nothing. The archive places pages with this rule and mails link with it.
"""

from __future__ import annotations

import re
import unicodedata

from digest.model import Edition

_SLUG_BAD = re.compile(r"[^a-z0-9-]+")
# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ı": "i"})


def slug(value: str) -> str:
    """A safe path segment: lower case letters, digits and hyphens, accents folded
    (``Israël`` → ``israel``, ``São Paulo`` → ``sao-paulo``), not cut out."""
    folded = unicodedata.normalize("NFKD", value.lower().translate(_LETTERS))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _SLUG_BAD.sub("-", plain).strip("-") or "x"


def edition_path(edition: Edition, *, first_of_its_day: bool = True) -> str:
    """``2026/01/21/ochtend/`` (or ``.../ochtend-1800/`` for a second edition that day)."""
    local = edition.local_slot
    if first_of_its_day:
        return f"{local:%Y/%m/%d}/{slug(edition.name)}/"
    return f"{local:%Y/%m/%d}/{slug(edition.name)}-{local:%H%M}/"


def edition_url(archive_base: str, edition: Edition, *, first_of_its_day: bool = True) -> str:
    """The absolute address of the edition's archive page."""
    path = edition_path(edition, first_of_its_day=first_of_its_day)
    return archive_base.rstrip("/") + "/" + path
