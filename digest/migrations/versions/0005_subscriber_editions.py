"""subscriber editions: which editions each reader chose

Readers choose the editions they receive (``ochtend``, ``avond``, ...). The
column holds the chosen names comma-separated; subscribers from before this
revision keep NULL, which means every edition (what they received so far).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("editions", sa.Text(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # dropping would rebuild the table
        return
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("editions")
