"""subscribers.first_name: the name the greeting uses, optional

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for every existing reader: the greeting falls back to the first word of `name`.
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("first_name", sa.Text(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # dropping would rebuild the table
        return
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("first_name")
