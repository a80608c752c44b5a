"""Supply as stock and flow (issue 13): ranges on the census's FTE in post and CYP share, a vacancy fill rate,
training pipelines and caseloads by client group. On the supply branch, after 0002.

Revision ID: 0013
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_WORKFORCE_COLUMNS = ("fte_in_post_low", "fte_in_post_high", "vacancy_fill_rate", "cyp_share_low",
                         "cyp_share_high")


def upgrade() -> None:
    with op.batch_alter_table("workforce") as batch:
        for name in NEW_WORKFORCE_COLUMNS:
            batch.add_column(sa.Column(name, sa.Double(), nullable=True))
    op.create_table(
        "training_pipelines",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=True),
        sa.Column("places", sa.Double(), nullable=False),
        sa.Column("course_years", sa.Integer(), nullable=False),
        sa.Column("completion_rate", sa.Double(), nullable=False),
        sa.Column("completion_low", sa.Double(), nullable=True),
        sa.Column("completion_high", sa.Double(), nullable=True),
        sa.Column("share_taking_post_here", sa.Double(), nullable=False),
        sa.Column("share_here_low", sa.Double(), nullable=True),
        sa.Column("share_here_high", sa.Double(), nullable=True),
        sa.Column("cost_per_place", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "role", "sector", "start_year", name="pk_training_pipelines"),
    )
    op.create_table(
        "caseloads",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("client_group", sa.Text(), nullable=False),
        sa.Column("cases", sa.Double(), nullable=False),
        sa.Column("in_population", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "role", "sector", "client_group", name="pk_caseloads"),
    )


def downgrade() -> None:
    op.drop_table("caseloads")
    op.drop_table("training_pipelines")
    with op.batch_alter_table("workforce") as batch:
        for name in NEW_WORKFORCE_COLUMNS:
            batch.drop_column(name)
