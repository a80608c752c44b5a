"""Prevalence rows say what their rate is (rate_basis) and may give a level net of another (net_of); rank
correlations between uncertain inputs (issue 12, parts 1 and 2).
A branch of its own off 0001, as each part of cyplan has; the workspace upgrades to every head.

Rows already in a workspace were imported when every rate was taken as a rate outside the vulnerable groups
(the groups' uplift added on top), so they are marked outside_groups: upgrading changes no figure. Import the
prevalence again (without the column, or with population_average) to have them read as population averages.

Revision ID: 0012_need
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_need"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prevalence") as batch:
        batch.add_column(sa.Column("rate_basis", sa.Text(), nullable=True))
        batch.add_column(sa.Column("net_of", sa.Text(), nullable=True))
    op.execute("UPDATE prevalence SET rate_basis = 'outside_groups'")
    op.create_table(
        "correlations",
        *(sa.Column(c, sa.Text(), nullable=False) for c in ("input", "where", "column", "with_input", "with_where",
                                                              "with_column")),
        sa.Column("rho", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("input", "where", "column", "with_input", "with_where", "with_column",
                                name="pk_correlations"),
    )


def downgrade() -> None:
    op.drop_table("correlations")
    with op.batch_alter_table("prevalence") as batch:
        batch.drop_column("net_of")
        batch.drop_column("rate_basis")
