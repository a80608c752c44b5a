"""Roles per area on the shared server (issue 14 part 3): user_roles(user, area, role, granted_by, granted_at).
Only the server's own workspace holds rows; every workspace has the (empty) table so that one chain of
migrations serves both.

Revision ID: 0022_user_roles
Revises: 0021_audit_began
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_user_roles"
down_revision = "0021_audit_began"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_roles",
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("granted_by", sa.Text, nullable=False),
        sa.Column("granted_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("user", "area", "role", name="pk_user_roles"),
    )


def downgrade() -> None:
    op.drop_table("user_roles")
