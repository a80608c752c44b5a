"""Statistical neighbours (issue 16 part 2): area indicators, indicator weights and published lists of neighbours.

Revision ID: 0026_neighbours
Revises: 0025_evidence
"""

import sqlalchemy as sa
from alembic import op

from cyplan.store.migrations.tenancy import tenant_table

revision = "0026_neighbours"
down_revision = "0025_evidence"
branch_labels = None
depends_on = None

TABLES = ("area_indicators", "indicator_weights", "statistical_neighbours")


def upgrade() -> None:
    op.create_table(
        "area_indicators",
        sa.Column("area", sa.Text(), nullable=False), sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False), sa.Column("value", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "indicator", "year", name="pk_area_indicators"),
    )
    op.create_table(
        "indicator_weights",
        sa.Column("indicator", sa.Text(), nullable=False), sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("indicator", name="pk_indicator_weights"),
    )
    op.create_table(
        "statistical_neighbours",
        sa.Column("area", sa.Text(), nullable=False), sa.Column("neighbour", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False), sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area", "neighbour", name="pk_statistical_neighbours"),
    )
    for table in TABLES:
        tenant_table(op.get_bind(), table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
