"""The early intervention service register: localities, services, the cells, groups, localities and
staff of each service, plans and protocols, and stakeholders (seed 003).

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "localities",
        sa.Column("locality", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("share", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("locality", name="pk_localities"),
    )
    op.create_table(
        "plans",
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("prerequisite", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("plan", name="pk_plans"),
    )
    op.create_table(
        "service_cells",
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("band", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("provision", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("service", "band", "level", "provision", name="pk_service_cells"),
    )
    op.create_table(
        "service_groups",
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("service", "group", name="pk_service_groups"),
    )
    op.create_table(
        "service_localities",
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("locality", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("service", "locality", name="pk_service_localities"),
    )
    op.create_table(
        "service_staff",
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("fte", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("service", "role", name="pk_service_staff"),
    )
    op.create_table(
        "services",
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=True),
        sa.Column("joint", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("coverage", sa.Double(), nullable=True),
        sa.Column("funding", sa.Double(), nullable=True),
        sa.Column("capacity", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("service", name="pk_services"),
    )
    op.create_table(
        "stakeholders",
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("engaged", sa.Text(), nullable=False),
        sa.Column("representative", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("agency", name="pk_stakeholders"),
    )


def downgrade() -> None:
    for name in (
        "stakeholders",
        "services",
        "service_staff",
        "service_localities",
        "service_groups",
        "service_cells",
        "plans",
        "localities",
    ):
        op.drop_table(name)
