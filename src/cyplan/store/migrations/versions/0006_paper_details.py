"""The board paper's details: meeting, contact and wording (issue 6). A branch of its own off 0001, as
each part of cyplan has; the workspace upgrades to every head.

Revision ID: 0006
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_details",
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("field", "item", name="pk_paper_details"),
    )


def downgrade() -> None:
    op.drop_table("paper_details")
