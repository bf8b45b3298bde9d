"""subscriber ids are never reused: AUTOINCREMENT on SQLite

Without AUTOINCREMENT, SQLite hands the id of the newest deleted row to the
next insert, so a new subscriber took over a removed one's identity (and with
it any delivery ledger row or signed link still naming that id). PostgreSQL's
sequence never goes back, so this changes nothing there.

The table is rebuilt with its rows; the delivery rows that refer to it are set
aside and put back around the rebuild, because SQLite checks foreign keys on
the drop and the check cannot be switched off inside a transaction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TEMPORARY TABLE _kept_deliveries AS SELECT * FROM deliveries")
    op.execute("DELETE FROM deliveries")
    with op.batch_alter_table(
        "subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    op.execute("INSERT INTO deliveries SELECT * FROM _kept_deliveries")
    op.execute("DROP TABLE _kept_deliveries")


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
