"""The skills census: shares trained in the Common Core's six areas and their targets (issue 13, part 6). On the
supply branch, after 0002; the workspace upgrades to every head.

Revision ID: 0018_skills
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_skills"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skills",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("skill_area", sa.Text(), nullable=False),
        sa.Column("share_trained", sa.Double(), nullable=False),
        sa.Column("target_share", sa.Double(), nullable=False),
        sa.Column("target_year", sa.Integer(), nullable=False),
        sa.Column("cost_per_person", sa.Double(), nullable=False),
        sa.Column("joiners_trained", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "role", "skill_area", name="pk_skills"),
    )


def downgrade() -> None:
    op.drop_table("skills")
