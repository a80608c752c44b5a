"""Scenarios keyed by to_role too (issue 17): one scenario may move shares of the same rows to two roles. to_role
becomes NOT NULL (blank is '') as every other key column is.

Revision ID: 0028_scenario_key
Revises: 0027_referral_counts
"""

import sqlalchemy as sa
from alembic import op

from cyplan.store.migrations.tenancy import COLUMN, postgresql

revision = "0028_scenario_key"
down_revision = "0027_referral_counts"
branch_labels = None
depends_on = None

OLD_KEY = ("scenario", "input", "column", "where", "operation")
NEW_KEY = (*OLD_KEY, "to_role")


def _key(columns: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if postgresql(bind):  # tenancy (0023) keeps the tenant first in every key
        quoted = ", ".join(f'"{c}"' for c in (COLUMN, *columns))
        op.execute("ALTER TABLE scenarios DROP CONSTRAINT pk_scenarios")
        op.execute(f"ALTER TABLE scenarios ADD CONSTRAINT pk_scenarios PRIMARY KEY ({quoted})")
        op.alter_column("scenarios", "to_role", existing_type=sa.Text(), nullable="to_role" not in columns)
        return
    with op.batch_alter_table("scenarios", recreate="always") as batch:
        batch.alter_column("to_role", existing_type=sa.Text(), nullable="to_role" not in columns)
        batch.drop_constraint("pk_scenarios", type_="primary")
        batch.create_primary_key("pk_scenarios", list(columns))


def upgrade() -> None:
    op.execute("UPDATE scenarios SET to_role = '' WHERE to_role IS NULL")
    _key(NEW_KEY)


def downgrade() -> None:
    both = op.get_bind().execute(sa.text(
        'SELECT count(*) FROM (SELECT 1 FROM scenarios GROUP BY scenario, input, "column", "where", operation '
        "HAVING count(*) > 1) AS twice")).scalar()
    if both:
        raise RuntimeError(f"migration 0028_scenario_key cannot be undone: {both} scenario changes move shares of the "
                           "same rows to two roles, which the older key cannot hold. Remove one of each pair first.")
    _key(OLD_KEY)
