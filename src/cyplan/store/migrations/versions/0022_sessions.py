"""Sign-in sessions on the shared server (issue 14 part 2): sessions(id_hash, user, display, tenant, started, seen,
source). Only the server's own workspace holds rows; every workspace has the (empty) table so that one chain of
migrations serves both.

Revision ID: 0022_sessions
Revises: 0022_user_roles
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_sessions"
down_revision = "0022_user_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.Text, primary_key=True),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("tenant", sa.Text),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("seen", sa.Float, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sessions")
