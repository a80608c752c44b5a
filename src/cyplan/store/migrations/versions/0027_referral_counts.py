"""Referral counts by area (issue 16 part 1): each area's accepted referrals in a year, for comparing referral rates
between areas when the referral records (which carry no area) cannot give them.

Revision ID: 0027_referral_counts
Revises: 0026_neighbours
"""

import sqlalchemy as sa
from alembic import op

from cyplan.store.migrations.tenancy import tenant_table

revision = "0027_referral_counts"
down_revision = "0026_neighbours"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_counts",
        sa.Column("area", sa.Text(), nullable=False), sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False), sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "year", name="pk_referral_counts"),
    )
    tenant_table(op.get_bind(), "referral_counts")


def downgrade() -> None:
    op.drop_table("referral_counts")
