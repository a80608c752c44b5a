"""Sign-in sessions on the shared server (issue 14 part 2): sessions(id_hash, user, display, area, started, seen,
source). Only the server's own workspace holds rows; every workspace has the (empty) table so that one chain of
migrations serves both.

Revision ID: 0024_sessions
Revises: 0023_tenants

On PostgreSQL the table is an area's own like every other (tenancy.tenant_table): the server workspace's.
Its column for the area chosen is `area`: `tenant` is the hidden column every table has there
"""

import sqlalchemy as sa
from alembic import op

from cyplan.store.migrations.tenancy import tenant_table

revision = "0024_sessions"
down_revision = "0023_tenants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.Text, primary_key=True),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("area", sa.Text),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("seen", sa.Float, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
    )
    tenant_table(op.get_bind(), "sessions")


def downgrade() -> None:
    op.drop_table("sessions")
