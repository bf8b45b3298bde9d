"""edition approvals: editions that wait for an editor

An ``[[editions]]`` table with ``approval = true`` makes each built edition
wait here (pending, approved, held, cancelled, expired) before it is mailed
or archived.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edition_approvals",
        sa.Column("edition_id", sa.String(64), nullable=False),
        sa.Column("edition_name", sa.String(64), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_key", sa.String(96), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("story_count", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("edition_id", name="pk_edition_approvals"),
    )
    op.create_index("ix_edition_approvals_state", "edition_approvals", ["state"])


def downgrade() -> None:
    op.drop_index("ix_edition_approvals_state", table_name="edition_approvals")
    op.drop_table("edition_approvals")
