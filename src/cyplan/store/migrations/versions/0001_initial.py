"""The first tables: every input kind, the import log and workspace metadata.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "age_bands",
        sa.Column("band", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("age_from", sa.Integer(), nullable=False),
        sa.Column("age_to", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("band", name="pk_age_bands"),
    )
    op.create_table(
        "areas",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("parent", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_areas"),
    )
    op.create_table(
        "group_risks",
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("central", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("group", "level", name="pk_group_risks"),
    )
    op.create_table(
        "group_sizes",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("age_from", sa.Integer(), nullable=False),
        sa.Column("age_to", sa.Integer(), nullable=False),
        sa.Column("count", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "group", "age_from", "age_to", name="pk_group_sizes"),
    )
    op.create_table(
        "groups",
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("group", name="pk_groups"),
    )
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer(), nullable=False, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=True),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.Text(), nullable=False),
    )
    op.create_table(
        "levels",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("coverage", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", name="pk_levels"),
    )
    op.create_table(
        "pathway_steps",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("central", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", "step", name="pk_pathway_steps"),
    )
    op.create_table(
        "population",
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("count", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "year", "age", "sex", name="pk_population"),
    )
    op.create_table(
        "prevalence",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("age_from", sa.Integer(), nullable=False),
        sa.Column("age_to", sa.Integer(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("central", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", "age_from", "age_to", "sex", name="pk_prevalence"),
    )
    op.create_table(
        "role_mix",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("level", "step", "role", name="pk_role_mix"),
    )
    op.create_table(
        "roles",
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("staff_group", sa.Text(), nullable=False),
        sa.Column("contracted_hours_per_week", sa.Double(), nullable=False),
        sa.Column("working_days_per_week", sa.Double(), nullable=True),
        sa.Column("annual_leave_days", sa.Double(), nullable=False),
        sa.Column("public_holiday_days", sa.Double(), nullable=False),
        sa.Column("sickness_days", sa.Double(), nullable=False),
        sa.Column("training_days", sa.Double(), nullable=False),
        sa.Column("direct_work_share", sa.Double(), nullable=False),
        sa.Column("salary", sa.Double(), nullable=False),
        sa.Column("on_cost_rate", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("role", name="pk_roles"),
    )
    op.create_table(
        "workspace_info",
        sa.Column("key", sa.Text(), nullable=False, primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "workspace_info",
        "roles",
        "role_mix",
        "prevalence",
        "population",
        "pathway_steps",
        "levels",
        "import_log",
        "groups",
        "group_sizes",
        "group_risks",
        "areas",
        "age_bands",
    ):
        op.drop_table(name)
