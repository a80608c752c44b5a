"""Referral returns: the population by the categories of a returns field, for the equality view
(issue 5). On the returns branch, after 0004.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population_groups",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("count", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "year", "field", "category", name="pk_population_groups"),
    )


def downgrade() -> None:
    op.drop_table("population_groups")
