"""Need from counts (issue 12 part 6): children counted with a need (e.g. SEN support or an EHC plan by
primary need) and the share of them at each level. A branch of its own off 0001; the workspace upgrades to
every head.

Revision ID: 0007_need_counts
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_need_counts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "need_counts",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("age_from", sa.Integer(), nullable=False),
        sa.Column("age_to", sa.Integer(), nullable=False),
        sa.Column("count", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "year", "need", "status", "age_from", "age_to", name="pk_need_counts"),
    )
    op.create_table(
        "need_shares",
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("central", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("need", "status", "level", name="pk_need_shares"),
    )


def downgrade() -> None:
    op.drop_table("need_shares")
    op.drop_table("need_counts")
