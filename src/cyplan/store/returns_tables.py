"""The workspace database's record of referral-return imports (the records themselves are in
returns-records/ in the workspace folder: see returns/store.py)."""

from __future__ import annotations

import sqlalchemy as sa

from cyplan.store.tables import metadata

returns_imports = sa.Table(
    "returns_imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=True),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("imported_at", sa.Text, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("queries", sa.Integer, nullable=False),
    sa.Column("replaced", sa.Integer, nullable=False),  # stored records of the same service and quarter
    sa.Column("periods", sa.Text, nullable=False),  # the services and quarters the file covers
)
