"""The consent log: who agreed to what, when, through which form or import.

Every entry holds the time, the event (``signup``, ``confirm``,
``preferences``, ``pause``, ``resume``, ``unsubscribe``, ``import``,
``add``, ``erase``...), the source (``form:signup``, ``import:leden.csv``,
``cli``), the version (SHA-256) of the consent text the reader was shown
(the text itself is kept in ``consent_texts``), a keyed hash of the IP
address and of the address (never the plain values), and what was chosen.

Entries are only ever inserted. Each one carries ``prev_hash`` (the entry
before it) and ``entry_hash``, an HMAC-SHA256 over ``prev_hash`` and all its
fields with a key derived from ``DIGEST_SECRET_KEY``; ``prev_hash`` is unique,
so two writers at once cannot fork the chain (the loser retries).
:func:`verify_chain` recomputes every hash: an entry changed, deleted or
inserted in the database directly breaks the chain at that entry, and without
the key the chain cannot be recomputed to hide it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import IntegrityError

from digest.errors import DigestError
from digest.store import Store
from digest.store.schema import as_utc, consent_log, consent_texts

GENESIS = "0" * 64  # the prev_hash of the first entry
_RETRIES = 20
_PG_CHAIN_LOCK = 0x636F6E73  # "cons": one transaction-level advisory lock for appends
_LAST = select(consent_log.c.entry_hash).order_by(consent_log.c.id.desc()).limit(1)


def _chain_end(conn: Connection) -> str:
    """The hash the next entry chains onto. On PostgreSQL appends take turns (an
    advisory lock held until the transaction ends), so under many concurrent
    writers none runs out of retries; SQLite writes one at a time anyway, and a
    writer that lost the race there retries on the unique ``prev_hash``."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    return conn.execute(_LAST).scalar_one_or_none() or GENESIS


class ConsentError(DigestError):
    """The consent log cannot be written or read."""


@dataclass(frozen=True, slots=True)
class ConsentKeys:
    """The keys of the log, derived from the one secret (one per use)."""

    chain: bytes
    address: bytes
    ip: bytes

    @classmethod
    def from_secret(cls, secret: str) -> ConsentKeys:
        def derive(label: str) -> bytes:
            return hmac.new(secret.encode(), f"digest-consent-{label}".encode(), "sha256").digest()

        return cls(derive("chain"), derive("address"), derive("ip"))

    def address_hash(self, email: str) -> str:
        return hmac.new(self.address, email.strip().lower().encode(), "sha256").hexdigest()

    def ip_hash(self, ip: str | None) -> str | None:
        return hmac.new(self.ip, ip.encode(), "sha256").hexdigest() if ip else None


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    id: int
    at: datetime
    subscriber_id: int | None
    address_hash: str
    event: str
    source: str
    text_version: str | None
    ip_hash: str | None
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "event": self.event,
            "source": self.source,
            "text_version": self.text_version,
            "ip_hash": self.ip_hash,
            "details": self.details,
            "entry_hash": self.entry_hash,
        }


def text_version(text: str) -> str:
    """The version of a consent text: SHA-256 of its words (spacing normalised)."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def _fields(values: Mapping[str, Any]) -> bytes:
    """The canonical bytes an entry's hash covers (everything but the hashes and id)."""
    at = as_utc(values["at"])
    body = {
        "at": at.isoformat() if at else None,
        "subscriber_id": values["subscriber_id"],
        "address_hash": values["address_hash"],
        "event": values["event"],
        "source": values["source"],
        "text_version": values["text_version"],
        "ip_hash": values["ip_hash"],
        "details": values["details"],
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _entry_hash(keys: ConsentKeys, prev_hash: str, values: Mapping[str, Any]) -> str:
    return hmac.new(keys.chain, prev_hash.encode() + b"\n" + _fields(values), "sha256").hexdigest()


def remember_text(store: Store, text: str, locale: str, *, now: datetime) -> str:
    """Keep ``text`` under its version (once); the version."""
    version = text_version(text)
    query = select(consent_texts.c.version).where(consent_texts.c.version == version)
    with store.begin() as conn:
        if conn.execute(query).first() is not None:
            return version
    row = {"version": version, "locale": locale, "text": text, "first_used_at": now}
    try:
        with store.begin() as conn:
            conn.execute(insert(consent_texts).values(row))
    except IntegrityError:  # the same text, at the same moment
        pass
    return version


def consent_text(store: Store, version: str) -> str | None:
    query = select(consent_texts.c.text).where(consent_texts.c.version == version)
    with store.begin() as conn:
        found = conn.execute(query).scalar_one_or_none()
    return str(found) if found is not None else None


def append(
    store: Store,
    keys: ConsentKeys,
    *,
    email: str,
    subscriber_id: int | None,
    event: str,
    source: str,
    now: datetime,
    text_version: str | None = None,
    ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> str:
    """Append one entry at the end of the chain; its hash."""
    new = NewEntry(email, subscriber_id, event, source, text_version, ip, details)
    values = _values(keys, new, now.astimezone(UTC).replace(microsecond=0))
    for _ in range(_RETRIES):
        try:
            with store.begin() as conn:
                prev = _chain_end(conn)
                entry = _entry_hash(keys, prev, values)
                conn.execute(insert(consent_log).values(**values, prev_hash=prev, entry_hash=entry))
            return entry
        except IntegrityError:  # another writer appended first: chain onto theirs
            continue
    raise ConsentError("consent log: could not append after many concurrent writers; try again")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One entry to append with :func:`append_many`."""

    email: str
    subscriber_id: int | None
    event: str
    source: str
    text_version: str | None = None
    ip: str | None = None
    details: Mapping[str, Any] | None = None


def append_many(
    store: Store, keys: ConsentKeys, entries: list[NewEntry], *, now: datetime, chunk: int = 2000
) -> int:
    """Append ``entries`` in order, ``chunk`` to a transaction (an import's rows); how many."""
    at = now.astimezone(UTC).replace(microsecond=0)
    for start in range(0, len(entries), chunk):
        part = entries[start : start + chunk]
        for _ in range(_RETRIES):
            try:
                with store.begin() as conn:
                    prev = _chain_end(conn)
                    rows = []
                    for new in part:
                        values = _values(keys, new, at)
                        entry = _entry_hash(keys, prev, values)
                        rows.append({**values, "prev_hash": prev, "entry_hash": entry})
                        prev = entry
                    conn.execute(insert(consent_log), rows)
                break
            except IntegrityError:  # another writer appended first
                continue
        else:
            raise ConsentError("consent log: could not append after many concurrent writers")
    return len(entries)


def _values(keys: ConsentKeys, new: NewEntry, at: datetime) -> dict[str, Any]:
    return {
        "at": at,
        "subscriber_id": new.subscriber_id,
        "address_hash": keys.address_hash(new.email),
        "event": new.event[:32],
        "source": new.source,
        "text_version": new.text_version,
        "ip_hash": keys.ip_hash(new.ip),
        "details": json.dumps(dict(new.details or {}), sort_keys=True, ensure_ascii=False),
    }


def _to_entry(row: Any) -> ConsentEntry:
    return ConsentEntry(
        id=row.id,
        at=as_utc(row.at) or row.at,
        subscriber_id=row.subscriber_id,
        address_hash=row.address_hash,
        event=row.event,
        source=row.source,
        text_version=row.text_version,
        ip_hash=row.ip_hash,
        details=json.loads(row.details),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def entries_for(store: Store, keys: ConsentKeys, email: str) -> list[ConsentEntry]:
    """Every entry about ``email``, oldest first."""
    query = (
        select(consent_log)
        .where(consent_log.c.address_hash == keys.address_hash(email))
        .order_by(consent_log.c.id)
    )
    with store.begin() as conn:
        return [_to_entry(row) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Verification:
    """What :func:`verify_chain` found: how many entries, and each break."""

    entries: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(store: Store, keys: ConsentKeys, chunk: int = 5000) -> Verification:
    """Recompute the chain from the first entry; name every entry that breaks it."""
    problems: list[str] = []
    prev, count, last_id = GENESIS, 0, 0
    while True:
        query = (
            select(consent_log)
            .where(consent_log.c.id > last_id)
            .order_by(consent_log.c.id)
            .limit(chunk)
        )
        with store.begin() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            count += 1
            values = dict(row._mapping)
            if row.prev_hash != prev:
                problems.append(
                    f"entry {row.id}: does not follow the entry before it "
                    "(an entry was deleted or inserted)"
                )
            elif _entry_hash(keys, row.prev_hash, values) != row.entry_hash:
                problems.append(f"entry {row.id}: its contents were changed after it was written")
            prev, last_id = row.entry_hash, row.id
        if len(rows) < chunk:
            return Verification(count, tuple(problems))
