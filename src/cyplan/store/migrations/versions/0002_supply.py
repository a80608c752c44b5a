"""The supply tables: the workforce census, prevalence trends and scenarios.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workforce",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("headcount", sa.Double(), nullable=False),
        sa.Column("fte_in_post", sa.Double(), nullable=False),
        sa.Column("vacant_fte", sa.Double(), nullable=False),
        sa.Column("agency_fte", sa.Double(), nullable=False),
        sa.Column("leaver_rate", sa.Double(), nullable=False),
        sa.Column("leaver_rate_low", sa.Double(), nullable=True),
        sa.Column("leaver_rate_high", sa.Double(), nullable=True),
        sa.Column("share_aged_55_plus", sa.Double(), nullable=True),
        sa.Column("retirement_rate", sa.Double(), nullable=True),
        sa.Column("joiners_per_year", sa.Double(), nullable=False),
        sa.Column("joiners_low", sa.Double(), nullable=True),
        sa.Column("joiners_high", sa.Double(), nullable=True),
        sa.Column("cyp_share", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "role", "sector", name="pk_workforce"),
    )
    op.create_table(
        "prevalence_trends",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("central", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", name="pk_prevalence_trends"),
    )
    op.create_table(
        "scenarios",
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("column", sa.Text(), nullable=False),
        sa.Column("where", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("to_role", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("scenario", "input", "column", "where", "operation", name="pk_scenarios"),
    )


def downgrade() -> None:
    for name in ("scenarios", "prevalence_trends", "workforce"):
        op.drop_table(name)
