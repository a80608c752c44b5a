"""Tenancy on PostgreSQL (issue 14 part 4, decision 0011): the SQL that makes one table an area's own.

Every table but alembic's own gets a hidden `tenant` column (its default the transaction's `cyplan.tenant`), first
in its primary key and unique constraints, and row-level security (forced, so the tables' owner is held too) with
one policy: a row is seen, written and changed only under its own tenant's setting; no setting, no rows. Each
table but the audit trail also bumps its tenant's row of `data_version` at every statement that changes it, so
that every process serving the area sees a change at its next request (web/state.py's version()).

Migration 0023_tenants runs `tenant_table` over every table there was; a later migration that adds a table calls
it for that table (tests/test_tenancy.py fails for any table left without). On SQLite each area is a file of its
own, and all of this is a no-op.
"""

from __future__ import annotations

import sqlalchemy as sa

SETTING = "cyplan.tenant"
COLUMN = "tenant"
POLICY = "tenant_isolation"
VERSIONS = "data_version"  # (tenant, n): n goes up at every statement that changes the tenant's data
BUMP = "bump_data_version"  # the trigger function that does it
NOT_VERSIONED = {"audit", VERSIONS}  # an audit entry (a download) is not data: results kept stay valid
NOT_TENANTED = {"alembic_version"}  # the schema's version is the database's, one for every area

# the setting at the time of the migration names the rows already there; a database from before tenancy: 'local'
BACKFILL = f"coalesce(nullif(current_setting('{SETTING}', true), ''), 'local')"
# no missing_ok: an insert without the setting is an error, never a row of no area
DEFAULT = f"current_setting('{SETTING}')"
# missing_ok: no setting reads as NULL, which equals no tenant, so a query without it sees no row at all
OWN = f"{COLUMN} = current_setting('{SETTING}', true)"

BUMP_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {BUMP}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a change made with no area set (a migration's own) has no tenant whose caches it could make stale
    IF coalesce(current_setting('{SETTING}', true), '') <> '' THEN
        INSERT INTO {VERSIONS} (n) VALUES (1) ON CONFLICT ({COLUMN}) DO UPDATE SET n = {VERSIONS}.n + 1;
    END IF;
    RETURN NULL;
END $$"""


def postgresql(bind: sa.Connection) -> bool:
    return bind.dialect.name == "postgresql"


def create_versions(bind: sa.Connection) -> None:
    """The data_version table, tenanted like the rest, and the function the tables' triggers call."""
    bind.execute(sa.text(f"CREATE TABLE {VERSIONS} ({COLUMN} text NOT NULL DEFAULT {DEFAULT} "
                         f"CONSTRAINT {VERSIONS}_tenant_named CHECK ({COLUMN} <> ''), n bigint NOT NULL, "
                         f"CONSTRAINT pk_{VERSIONS} PRIMARY KEY ({COLUMN}))"))
    _secure(bind, VERSIONS)
    bind.execute(sa.text(BUMP_FUNCTION))


def tenant_table(bind: sa.Connection, table: str) -> None:
    """Make `table` an area's own on PostgreSQL (nothing on SQLite): the tenant column, first in its keys, row-level
    security and the data_version trigger. Its existing rows go to the tenant set now, else 'local'."""
    if not postgresql(bind):
        return
    quoted = _quote(table)
    bind.execute(sa.text(f"ALTER TABLE {quoted} ADD COLUMN {COLUMN} text NOT NULL DEFAULT {BACKFILL}"))
    bind.execute(sa.text(f"ALTER TABLE {quoted} ALTER COLUMN {COLUMN} SET DEFAULT {DEFAULT}"))
    # a setting emptied by the end of a SET LOCAL reads as '': such a row would belong to no area
    bind.execute(sa.text(f"ALTER TABLE {quoted} ADD CONSTRAINT {_quote(table + '_tenant_named')} "
                         f"CHECK ({COLUMN} <> '')"))
    for name, kind, columns in _keys(bind, table):
        bind.execute(sa.text(f"ALTER TABLE {quoted} DROP CONSTRAINT {_quote(name)}"))
        bind.execute(sa.text(f"ALTER TABLE {quoted} ADD CONSTRAINT {_quote(name)} "
                             f"{'PRIMARY KEY' if kind == 'p' else 'UNIQUE'} "
                             f"({', '.join(_quote(c) for c in [COLUMN, *columns])})"))
    _secure(bind, table)
    if table not in NOT_VERSIONED:
        bind.execute(sa.text(f"CREATE TRIGGER {_quote(table + '_data_version')} AFTER INSERT OR UPDATE OR DELETE "
                             f"OR TRUNCATE ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {BUMP}()"))


def tables(bind: sa.Connection) -> list[str]:
    """cyplan's tables in the database (its schema's), but alembic's own."""
    names = bind.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                 "ORDER BY tablename")).scalars()
    return [n for n in names if n not in NOT_TENANTED and n != VERSIONS]


def _secure(bind: sa.Connection, table: str) -> None:
    quoted = _quote(table)
    bind.execute(sa.text(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY"))
    bind.execute(sa.text(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY"))  # the owner too (not a superuser)
    bind.execute(sa.text(f"CREATE POLICY {POLICY} ON {quoted} FOR ALL USING ({OWN}) WITH CHECK ({OWN})"))


def _keys(bind: sa.Connection, table: str) -> list[tuple[str, str, list[str]]]:
    """The table's primary key and unique constraints: name, kind ('p' or 'u') and columns in order."""
    rows = bind.execute(sa.text(
        "SELECT c.conname, c.contype, array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(num, i) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.i) "
        "FROM pg_constraint c WHERE c.conrelid = CAST(:t AS regclass) AND c.contype IN ('p', 'u') "
        "ORDER BY c.contype, c.conname"), {"t": _quote(table)})
    return [(name, kind, list(columns)) for name, kind, columns in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
