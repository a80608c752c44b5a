"""When the audit trail began, kept in workspace_info as `audit_began` (UTC, to the second), so that `cyplan audit
verify` can tell an import made before there was a trail (not in it, rightly) from one whose entry has been
deleted (probe 3, F9: a trail with every entry deleted verified as intact). A workspace that already has entries
began at its first; one without, now. After 0020_audit.

Revision ID: 0021_audit_began
Revises: 0020_audit
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0021_audit_began"
down_revision = "0020_audit"
branch_labels = None
depends_on = None

KEY = "audit_began"


def upgrade() -> None:
    conn = op.get_bind()
    first = conn.execute(sa.text("SELECT at FROM audit ORDER BY id LIMIT 1")).scalar()
    began = first[:19] if first else dt.datetime.now(dt.UTC).isoformat(timespec="seconds")[:19]
    conn.execute(sa.text("DELETE FROM workspace_info WHERE key = :k"), {"k": KEY})
    conn.execute(sa.text("INSERT INTO workspace_info (key, value) VALUES (:k, :v)"), {"k": KEY, "v": began})


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM workspace_info WHERE key = :k"), {"k": KEY})
