"""Tenancy on PostgreSQL (issue 14 part 4, decision 0011): every table an area's own by a hidden `tenant` column
and forced row-level security, and `data_version`, bumped by every statement that changes an area's data (but
its audit trail), so that every process serving it sees the change. Merges every branch there was; a migration
that adds a table after this one calls cyplan.store.migrations.tenancy.tenant_table for it. A no-op on SQLite,
where each area is a database file of its own.

Revision ID: 0023_tenants
Revises: every head before it
"""

from alembic import op

from cyplan.store.migrations import tenancy

revision = "0023_tenants"
down_revision = ("0005", "0006", "0007_need_counts", "0008_coverage", "0012_need", "0017_rating", "0018_skills",
                 "0019_history", "0020_codelists", "0020_cohorts", "0020_workforce_history", "0022_user_roles")
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if not tenancy.postgresql(bind):
        return
    tenancy.create_versions(bind)
    for table in tenancy.tables(bind):
        tenancy.tenant_table(bind, table)


def downgrade() -> None:
    """Nothing to undo on SQLite (the upgrade changed nothing there). On PostgreSQL the database may hold several
    areas' rows, whose keys collide once the tenant column is gone: going back is restoring the backup taken before
    the upgrade (docs/deployment.md, Upgrades), so it is refused with that said, never done half-way."""
    bind = op.get_bind()
    if tenancy.postgresql(bind):
        raise RuntimeError("migration 0023_tenants cannot be undone on PostgreSQL: the areas' rows would collide "
                           "once the tenant column is gone. Restore the database from the backup taken before "
                           "upgrading (docs/deployment.md, Upgrades).")
