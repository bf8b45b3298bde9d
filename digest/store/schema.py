"""The database schema, in SQLAlchemy Core. Alembic migrations mirror it.

Times are stored as UTC. ``UtcDateTime`` converts aware datetimes to UTC on
the way in (SQLite would otherwise keep the wall-clock time and drop the
offset) and hands back aware UTC datetimes on the way out, on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def as_utc(value: datetime | None) -> datetime | None:
    """A datetime read from the database, made aware (UTC) if the driver dropped the zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: aware datetimes only, stored as UTC, read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)


snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("checksum", String(64), nullable=False, unique=True),
    Column("captured_at", UtcDateTime, nullable=False),
    Column("ingested_at", UtcDateTime, nullable=False),
    Column("item_count", Integer, nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("title", Text),
    Column("dateline", Text),
    Column("agencies", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("section", Text),
    Column("source", Text, nullable=False),
    Column("url", Text),
    Column("published_at", UtcDateTime),
    Column("earliest", UtcDateTime),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime),
    Column("revisions", Integer, nullable=False, default=1),
    Column("regions", Text, nullable=False, default=""),
    Column("countries", Text, nullable=False, default=""),
    Column("classified_with", String(64), nullable=False, default=""),
    Index("ix_stories_dateline", "dateline"),
    Index("ix_stories_published_at", "published_at"),
    Index("ix_stories_last_seen", "last_seen"),
)

story_revisions = Table(
    "story_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", String(32), ForeignKey("stories.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text),
    Column("agencies", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Column("snapshot_id", Integer, ForeignKey("snapshots.id")),
    UniqueConstraint("story_id", "revision", name="uq_story_revisions_story_revision"),
    Index("ix_story_revisions_content_hash", "content_hash"),
)

editions = Table(
    "editions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("slot", UtcDateTime, nullable=False),
    Column("window_start", UtcDateTime, nullable=False),
    Column("window_end", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("story_count", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("name", "slot", name="uq_editions_name_slot"),
)

edition_stories = Table(
    "edition_stories",
    metadata,
    Column("edition_id", String(64), ForeignKey("editions.id"), primary_key=True),
    Column("section", String(64), primary_key=True),
    Column("story_id", String(32), ForeignKey("stories.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("band", String(16), nullable=False),
    Column("updated", Boolean, nullable=False, default=False),
)

# A claim on an edition slot: inserted before a run does anything, so that a
# second run for the same slot sees it and stops (or resumes a stale one).
edition_runs = Table(
    "edition_runs",
    metadata,
    Column("slot_key", String(96), primary_key=True),
    Column("edition_name", String(64), nullable=False),
    Column("slot", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("owner", Text, nullable=False),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("edition_id", String(64)),
    Column("message", Text),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", Text),
    Column("locale", String(8), nullable=False, default="nl"),
    Column("regions", Text),  # comma-separated region ids; NULL = all regions
    Column("status", String(16), nullable=False, default="pending"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
    Column("unsubscribed_at", UtcDateTime),
    # comma-separated edition names (migration 0005); NULL = from before the
    # choice existed: every edition
    Column("editions", Text),
    Column("first_name", Text),  # the name the greeting uses (migration 0009); NULL: see name
    Index("ix_subscribers_status", "status"),
    # Never reuse the id of a deleted subscriber (migration 0003): ledger rows
    # and signed links name subscribers by id.
    sqlite_autoincrement=True,
)

PENDING_ROW = text("status = 'pending'")  # a literal: a bound value cannot use the index

# The delivery ledger: one row per (edition, subscriber), claimed before the
# send and marked after the provider accepted it.
deliveries = Table(
    "deliveries",
    metadata,
    Column("edition_id", String(64), ForeignKey("editions.id"), primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), primary_key=True),
    Column("segment", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("batch", Integer),
    Column("claimed_by", Text),
    Column("claimed_at", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    # automatic resends after an uncertain hand-over (migration 0004): at most one
    Column("resends", Integer, nullable=False, default=0, server_default="0"),
    Column("message_id", Text),
    Column("error", Text),
    # Claims find a segment's pending rows here; no index holds the status of
    # rows past pending, so their status changes write the row only. Migration
    # 0009 makes it partial (WHERE status = 'pending'); not said here, as a
    # postgresql_where would load SQLAlchemy's PostgreSQL dialect in SQLite runs.
    Index("ix_deliveries_pending", "edition_id", "segment", "subscriber_id"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("event", String(32), nullable=False),
    Column("email", String(320), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("fetched_at", UtcDateTime),
)

# The editor's decision on an edition that waits for approval (migration 0006):
# "pending" until approved, held, cancelled, or skipped when the time ran out.
# edition_id is no foreign key: a cancelled or expired edition is discarded
# (its news goes to the next edition) and this row is what remains of it.
edition_approvals = Table(
    "edition_approvals",
    metadata,
    Column("edition_id", String(64), primary_key=True),
    Column("edition_name", String(64), nullable=False),
    Column("slot", UtcDateTime, nullable=False),
    Column("slot_key", String(96), nullable=False),
    Column("state", String(16), nullable=False),
    Column("story_count", Integer, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("deadline", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("decided_by", Text),
    Column("note", Text),
    Index("ix_edition_approvals_state", "state"),
)

# The consent log (migration 0007): append-only, each entry chained to the one
# before by a keyed hash, so an entry changed in the database is detected.
# No foreign key and no address: an erased reader's entries stay as proof,
# naming them only by a keyed hash of the address.
consent_log = Table(
    "consent_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("subscriber_id", Integer),
    Column("address_hash", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("text_version", String(64)),
    Column("ip_hash", String(64)),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),  # one successor each: no forks
    Column("entry_hash", String(64), nullable=False),
    Index("ix_consent_log_address_hash", "address_hash"),
    sqlite_autoincrement=True,
)

# Each consent text a reader was shown, by its hash: the exact words agreed to.
consent_texts = Table(
    "consent_texts",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("locale", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("first_used_at", UtcDateTime, nullable=False),
)

# Addresses erased at their owner's request (migration 0008): only a keyed hash,
# so that an import cannot add the address back.
suppressions = Table(
    "suppressions",
    metadata,
    Column("address_hash", String(64), primary_key=True),
    Column("erased_at", UtcDateTime, nullable=False),
)
