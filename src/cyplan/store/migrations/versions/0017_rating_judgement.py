"""The partnership's own judgement of the services' rating, beside the computed one (issue 12, part 7). On the
services branch, after 0003; the workspace upgrades to every head.

Revision ID: 0017_rating
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_rating"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating_judgement",
        sa.Column("date", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("agreed_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("date", name="pk_rating_judgement"),
    )


def downgrade() -> None:
    op.drop_table("rating_judgement")
