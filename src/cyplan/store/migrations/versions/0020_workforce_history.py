"""Past workforce census snapshots for the back-test (issue 13, part 7). On the supply branch, after 0013 (the
census's columns as they stood then); the workspace upgrades to every head.

Revision ID: 0020_workforce_history
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_workforce_history"
down_revision = "0013"
branch_labels = None
depends_on = None

REQUIRED = ("headcount", "fte_in_post", "vacant_fte", "agency_fte", "leaver_rate", "joiners_per_year")
OPTIONAL = ("fte_in_post_low", "fte_in_post_high", "vacancy_fill_rate", "leaver_rate_low", "leaver_rate_high",
            "share_aged_55_plus", "retirement_rate", "joiners_low", "joiners_high", "cyp_share", "cyp_share_low",
            "cyp_share_high")


def upgrade() -> None:
    op.create_table(
        "workforce_history",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Double(), nullable=False) for name in REQUIRED),
        *(sa.Column(name, sa.Double(), nullable=True) for name in OPTIONAL),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "role", "sector", "year", name="pk_workforce_history"),
    )


def downgrade() -> None:
    op.drop_table("workforce_history")
