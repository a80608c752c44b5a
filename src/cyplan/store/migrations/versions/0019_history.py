"""History of the inputs (issue 18 part 6): every import or restore of an input is kept as a version, with who,
when, the file and the rows added, removed and changed. A branch of its own off 0001; the workspace upgrades to
every head. Inputs held before this revision become their first version at their next import.

Revision ID: 0019_history
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_history"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "input_versions",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "version", name="pk_input_versions"),
    )
    op.create_table(
        "input_version_rows",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "version", name="pk_input_version_rows"),
    )


def downgrade() -> None:
    op.drop_table("input_version_rows")
    op.drop_table("input_versions")
