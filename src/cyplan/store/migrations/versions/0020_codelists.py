"""The workspace's own code lists for referral returns and the mappings of values found to categories (issue 18
part 3). A branch of its own off 0001; the workspace upgrades to every head.

Revision ID: 0020_codelists
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_codelists"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codelist_entries",
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("field", "position", name="pk_codelist_entries"),
    )
    op.create_table(
        "codelist_mappings",
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("value_found", sa.Text(), nullable=False),
        sa.Column("map_to", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("field", "value_found", name="pk_codelist_mappings"),
    )


def downgrade() -> None:
    op.drop_table("codelist_mappings")
    op.drop_table("codelist_entries")
