"""Age cohorts, flows between sectors and the part-time trend (issue 13 parts 3 and 4): the census by age
band, transfers between sectors and agency, and a change a year in FTE per head. On the supply branch, after
0013.

Revision ID: 0020_cohorts
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_cohorts"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workforce") as batch:
        batch.add_column(sa.Column("fte_per_head_trend", sa.Double(), nullable=True))
    op.create_table(
        "workforce_ages",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("band", sa.Text(), nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("retirement_rate", sa.Double(), nullable=True),
        sa.Column("leaver_rate", sa.Double(), nullable=True),
        sa.Column("joiner_share", sa.Double(), nullable=True),
        sa.Column("trainee_share", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "role", "sector", "band", name="pk_workforce_ages"),
    )
    op.create_table(
        "sector_flows",
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("from_sector", sa.Text(), nullable=False),
        sa.Column("to_sector", sa.Text(), nullable=False),
        sa.Column("rate", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("role", "from_sector", "to_sector", name="pk_sector_flows"),
    )


def downgrade() -> None:
    op.drop_table("sector_flows")
    op.drop_table("workforce_ages")
    with op.batch_alter_table("workforce") as batch:
        batch.drop_column("fte_per_head_trend")
