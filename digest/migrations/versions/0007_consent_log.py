"""consent log: append-only, hash-chained entries of every consent event

Sign-up, confirmation, preference change, unsubscribe and import each add an
entry chained to the previous one with a keyed hash; ``consent_texts`` keeps
every consent text by the hash the entries name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscriber_id", sa.Integer()),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("text_version", sa.String(64)),
        sa.Column("ip_hash", sa.String(64)),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_log"),
        sa.UniqueConstraint("prev_hash", name="uq_consent_log_prev_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_consent_log_address_hash", "consent_log", ["address_hash"])
    op.create_table(
        "consent_texts",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_consent_texts"),
    )


def downgrade() -> None:
    op.drop_table("consent_texts")
    op.drop_index("ix_consent_log_address_hash", table_name="consent_log")
    op.drop_table("consent_log")
