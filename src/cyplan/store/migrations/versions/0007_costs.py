"""What budgets and needs-based models include beyond direct clinical time (issue 12 part 4): non-pay costs and
overheads (roles, levels), ranges on direct work share and sickness (roles), care profiles within a level
(pathway_steps.profile, care_profiles) and staff planned by ratio (role_ratios). A branch of its own off 0001,
as each part of cyplan has; the workspace upgrades to every head.

Revision ID: 0007_costs
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_costs"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_COLUMNS = {
    "roles": (("direct_work_share_low", sa.Double()), ("direct_work_share_high", sa.Double()),
              ("sickness_days_low", sa.Double()), ("sickness_days_high", sa.Double()),
              ("non_pay_rate", sa.Double()), ("non_pay_per_fte", sa.Double()), ("overhead_rate", sa.Double())),
    "levels": (("non_pay_per_case", sa.Double()),),
    "pathway_steps": (("profile", sa.Text()),),
}


def upgrade() -> None:
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, kind in columns:
                batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "role_ratios",
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("per_role", sa.Text(), nullable=False),
        sa.Column("per_fte", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("role", "per_role", name="pk_role_ratios"),
    )
    op.create_table(
        "care_profiles",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", "profile", name="pk_care_profiles"),
    )


def downgrade() -> None:
    op.drop_table("care_profiles")
    op.drop_table("role_ratios")
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, _ in columns:
                batch.drop_column(name)
