"""Coverage by age band and vulnerable group (issue 12 part 4): the coverage input. Follows 0007_costs, on
the same branch.

Revision ID: 0008_coverage
Revises: 0007_costs
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_coverage"
down_revision = "0007_costs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("band", sa.Text(), nullable=False),
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("coverage", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", "band", "group", name="pk_coverage"),
    )


def downgrade() -> None:
    op.drop_table("coverage")
