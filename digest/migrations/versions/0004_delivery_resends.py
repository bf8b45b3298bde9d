"""delivery resends: how often a row was resent after an uncertain hand-over

An ``uncertain`` row that no provider event settles is resent once after
``[delivery] resend_uncertain_after``; the count keeps it to once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resends", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # dropping would rebuild the table
        return
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("resends")
