"""delivery ledger: one partial index on the pending rows instead of two on every status

Both old indexes held ``status``, so every change of a row's status (claimed,
sending, sent: three per mail) rewrote two index entries besides the row. Only
the claim needs an index by status, and only for pending rows: a partial index
on those is written once when a row is planned and once when it is claimed.
The other look-ups by status (counts, recovery, reports) read one edition's
rows through the primary key, which starts with the edition.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_index("ix_deliveries_status", table_name="deliveries")
    op.drop_index("ix_deliveries_claim", table_name="deliveries")
    op.create_index(
        "ix_deliveries_pending",
        "deliveries",
        ["edition_id", "segment", "subscriber_id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_pending", table_name="deliveries")
    op.create_index("ix_deliveries_claim", "deliveries", ["edition_id", "segment", "status"])
    op.create_index("ix_deliveries_status", "deliveries", ["edition_id", "status"])
