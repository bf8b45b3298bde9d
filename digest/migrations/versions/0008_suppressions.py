"""suppressions: keyed hashes of addresses erased at their owner's request

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name="pk_suppressions"),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
