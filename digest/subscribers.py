"""Subscribers as values: addresses, region choices, statuses, CSV import rows.

Pure: no store, no clock. Addresses are validated and normalised with
email-validator (syntax only, no DNS) and stored lower-cased in their ASCII
form (an internationalised domain becomes punycode), so one person is one row
whatever case they typed. A subscriber who chose no regions reads everything
(``regions is None``). Edition choices are names of ``[[editions]]``: a
subscriber receives only the editions they chose; ``editions is None`` is a
subscriber from before the choice existed, who receives every edition.
The greeting names ``first_name`` when the reader gave one, else the first
word of ``name``, else nobody (:func:`greeting_name`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from digest.errors import DigestError, plural
from digest.model import LOCALES

# Only "active" subscribers get mail; "paused" is chosen on the preferences page.
STATUSES: tuple[str, ...] = (
    "pending",
    "active",
    "paused",
    "unsubscribed",
    "bounced",
    "complained",
)
IMPORT_COLUMNS: tuple[str, ...] = ("email", "name", "regions")
OPTIONAL_COLUMNS: tuple[str, ...] = ("locale", "editions", "first_name")
IGNORED_COLUMNS: tuple[str, ...] = ("status", "created_at")  # what export adds
REGION_SEPARATOR = ";"
MAX_NAME_LENGTH = 200
MAX_FIRST_NAME_LENGTH = 60


class SubscriberError(DigestError):
    """An address, region choice, status or import file is not usable."""


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One subscriber as the store knows it."""

    id: int
    email: str
    name: str | None
    locale: str
    regions: frozenset[str] | None
    status: str
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    editions: frozenset[str] | None = None
    first_name: str | None = None

    @property
    def greeting(self) -> str:
        """Whom the mail's greeting names (:func:`greeting_name`)."""
        return greeting_name(self.first_name, self.name)

    def receives(self, edition: str, *, opt_in: bool = False) -> bool:
        """Whether this subscriber chose the edition named ``edition``."""
        return receives(self.editions, edition, opt_in=opt_in)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``digest subscribers list --json``."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "first_name": self.first_name,
            "locale": self.locale,
            "regions": sorted(self.regions) if self.regions is not None else None,
            "editions": sorted(self.editions) if self.editions is not None else None,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "confirmed_at": self.confirmed_at.isoformat() if self.confirmed_at else None,
            "unsubscribed_at": self.unsubscribed_at.isoformat() if self.unsubscribed_at else None,
        }


def normalise_address(text: str) -> str:
    """``text`` as a valid, lower-cased ASCII address; SubscriberError saying why not."""
    # Imported here: its tables cost 50 ms, which `digest subscribers --help` need not pay.
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise SubscriberError(f"address {text.strip()!r} is not valid: {exc}") from exc
    return str(valid.ascii_email or valid.normalized).lower()


def clean_name(text: str | None) -> str | None:
    """A display name on one line, or None when blank; too long names are refused."""
    if text is None:
        return None
    name = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(name) > MAX_NAME_LENGTH:
        raise SubscriberError(f"name {name[:40]!r}... is longer than {MAX_NAME_LENGTH} characters")
    return name or None


def clean_first_name(text: str | None) -> str | None:
    """A first name on one line, or None when blank; too long ones are refused."""
    name = clean_name(text)
    if name is not None and len(name) > MAX_FIRST_NAME_LENGTH:
        raise SubscriberError(
            f"first name {name[:20]!r}... is longer than {MAX_FIRST_NAME_LENGTH} characters"
        )
    return name


def greeting_name(first_name: str | None, name: str | None) -> str:
    """Whom the greeting names: the reader's ``first_name`` as given (``Anna``,
    ``Jan Willem``); without one, the first word of ``name`` (``Anna de Vries`` →
    ``Anna``, ``Anna-Maria`` stays whole); without either, "" (``Goedemorgen,``)."""
    given = _one_line(first_name)
    if given:
        return given
    words = _one_line(name).split(maxsplit=1)
    return words[0] if words else ""


def _one_line(text: str | None) -> str:
    if not text:
        return ""
    if text.isprintable():  # the usual case: no character to replace (one C call)
        return " ".join(text.split())
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise SubscriberError(f"status {status!r} is not one of: {', '.join(STATUSES)}")
    return status


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise SubscriberError(f"locale {locale!r} is not one of: {', '.join(LOCALES)}")
    return locale


def parse_regions(
    text: str | None, known: Collection[str], separator: str = ","
) -> frozenset[str] | None:
    """Region ids from ``"groenland,zeeland"``; blank means all regions (None).

    Every id must be one of ``known``; SubscriberError names the unknown ones.
    """
    return _choice(text, known, separator, ("region", "regions"), sorted(known))


def _choice(
    text: str | None,
    known: Collection[str],
    separator: str,
    noun: tuple[str, str],
    shown: Collection[str],
) -> frozenset[str] | None:
    """The names in ``text`` (lower-cased), None when blank; SubscriberError names
    those not in ``known`` (``noun``: singular and plural) and lists ``shown``."""
    names = [part.strip().lower() for part in (text or "").split(separator) if part.strip()]
    if not names:
        return None
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        raise SubscriberError(
            f"unknown {noun[0] if len(unknown) == 1 else noun[1]} "
            f"{', '.join(map(repr, unknown))}; known: {', '.join(shown)}"
        )
    return frozenset(names)


def format_regions(regions: frozenset[str] | None, separator: str = ",") -> str | None:
    """The stored (or exported) form of a region choice; None for all regions."""
    return separator.join(sorted(regions)) if regions else None


def receives(editions: frozenset[str] | None, edition: str, *, opt_in: bool = False) -> bool:
    """Whether an edition choice (None: from before choices existed, every
    regular edition) includes the edition named ``edition`` (an ``opt_in`` one,
    weekly or Extra editie, only when chosen)."""
    if editions is None:
        return not opt_in
    return edition in editions


def parse_editions(
    text: str | None, known: Collection[str], separator: str = ","
) -> frozenset[str] | None:
    """Edition names from ``"ochtend,avond"``; blank gives None (the caller
    fills in the configured default). Every name must be one of ``known``."""
    return _choice(text, known, separator, ("edition", "editions"), known)


def format_editions(editions: frozenset[str] | None, separator: str = ",") -> str | None:
    """The stored (or exported) form of an edition choice; None for every edition."""
    return None if editions is None else separator.join(sorted(editions))


@lru_cache(maxsize=1024)
def read_editions(stored: str | None) -> frozenset[str] | None:
    """The edition choice a stored ``"a,b"`` stands for (``""``: none at all)."""
    if stored is None:
        return None
    return frozenset(part for part in stored.split(",") if part)


@lru_cache(maxsize=4096)
def read_regions(stored: str | None) -> frozenset[str] | None:
    """The region choice a stored ``"a,b"`` stands for."""
    ids = frozenset(part for part in (stored or "").split(",") if part)
    return ids or None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One good row of an import file."""

    line: int
    email: str
    name: str | None
    regions: frozenset[str] | None
    locale: str | None = None
    editions: frozenset[str] | None = None  # None: the configured default
    first_name: str | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that was not imported, with its line number and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import file holds: the rows to import and the bad ones."""

    rows: tuple[ImportRow, ...]
    bad: tuple[BadRow, ...]


def _header(fields: Sequence[str], source: str) -> list[str]:
    columns = [f.strip().lstrip("\ufeff").lower() for f in fields]
    if "email" not in columns or len(set(columns)) != len(columns):
        raise SubscriberError(
            f"{source}: line 1 must be the header {','.join(IMPORT_COLUMNS)} "
            f"(each column once); found {','.join(fields)!r}"
        )
    unknown = [c for c in columns if c not in IMPORT_COLUMNS + OPTIONAL_COLUMNS + IGNORED_COLUMNS]
    if unknown:
        allowed = ", ".join(IMPORT_COLUMNS + OPTIONAL_COLUMNS)
        what = "column" if len(unknown) == 1 else "columns"
        raise SubscriberError(f"{source}: unknown {what} {', '.join(unknown)}; use {allowed}")
    return columns


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for record in reader:
        yield start, record
        start = reader.line_num + 1


def _row(
    line: int, values: dict[str, str], known: Collection[str], editions: Collection[str]
) -> ImportRow:
    locale = values.get("locale", "").strip() or None
    return ImportRow(
        line=line,
        email=normalise_address(_from_spreadsheet_safe(values.get("email", ""))),
        name=clean_name(_from_spreadsheet_safe(values.get("name") or "")),
        regions=parse_regions(values.get("regions"), known, REGION_SEPARATOR),
        locale=check_locale(locale) if locale else None,
        editions=parse_editions(values.get("editions"), editions, REGION_SEPARATOR),
        first_name=clean_first_name(_from_spreadsheet_safe(values.get("first_name") or "")),
    )


def parse_import(
    text: str,
    known_regions: Collection[str],
    source: str = "-",
    *,
    known_editions: Collection[str] = (),
) -> ImportPlan:
    """Rows of a CSV with header ``email,name,regions`` (optionally ``locale``,
    ``editions`` and ``first_name``, the name the greeting uses); ``regions``
    holds ``;``-separated region ids and ``editions`` ``;``-separated names of
    ``known_editions`` (blank: the configured default); the extra columns of
    :func:`export_csv` are ignored (statuses are never imported). Every bad row is reported
    with its line number and reason; a repeated address is a bad row too."""
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise SubscriberError(f"{source}: the file is empty; expected a header line")
    columns = _header(first[1], source)
    rows: list[ImportRow] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        if not any(field.strip() for field in record):
            continue
        if len(record) != len(columns):
            bad.append(
                BadRow(line, f"has {plural(len(record), 'field')}, the header {len(columns)}")
            )
            continue
        try:
            values = dict(zip(columns, record, strict=True))
            row = _row(line, values, known_regions, known_editions)
        except DigestError as exc:
            bad.append(BadRow(line, str(exc)))
            continue
        if row.email in seen:
            bad.append(BadRow(line, f"{row.email} repeats line {seen[row.email]}"))
            continue
        seen[row.email] = line
        rows.append(row)
    return ImportPlan(tuple(rows), tuple(bad))


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet runs: a leading ``'`` before a formula
    character (names come from the public sign-up form). Import takes it off again."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _from_spreadsheet_safe(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def export_csv(subscribers: Iterator[Subscriber] | Sequence[Subscriber]) -> Iterator[str]:
    """CSV text, chunk by chunk:
    ``email,name,regions,locale,editions,first_name,status,created_at``
    (``editions`` blank for a subscriber from before edition choices: every edition).

    It reads back with ``digest subscribers import`` (status and date are ignored).
    Cells that a spreadsheet would run as a formula get a leading ``'``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*IMPORT_COLUMNS, *OPTIONAL_COLUMNS, "status", "created_at"])
    for sub in subscribers:
        regions = format_regions(sub.regions, REGION_SEPARATOR) or ""
        editions = format_editions(sub.editions, REGION_SEPARATOR) or ""
        cells = [sub.email, sub.name or "", regions, sub.locale, editions]
        cells += [sub.first_name or "", sub.status, sub.created_at.isoformat()]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
