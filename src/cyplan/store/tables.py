"""The workspace's tables: one per input kind (made from the schema), the import log and metadata.

Migrations under `migrations/` create these; a test checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from cyplan.schema import KINDS, Column, InputKind

metadata = sa.MetaData()

SQL_TYPE = {"text": sa.Text, "code": sa.Text, "enum": sa.Text, "integer": sa.Integer,
            "number": sa.Double, "share": sa.Double}


def _column(col: Column, key: tuple[str, ...]) -> sa.Column:
    nullable = col.name not in key and (col.blank_ok or not col.required)
    return sa.Column(col.name, SQL_TYPE[col.type](), nullable=nullable)


def _table(kind: InputKind) -> sa.Table:
    return sa.Table(kind.name, metadata, *(_column(c, kind.key) for c in kind.columns),
                    sa.PrimaryKeyConstraint(*kind.key, name=f"pk_{kind.name}"))


INPUT_TABLES: dict[str, sa.Table] = {name: _table(kind) for name, kind in KINDS.items()}

workspace_info = sa.Table(
    "workspace_info", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

import_log = sa.Table(
    "import_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=True),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("imported_at", sa.Text, nullable=False),
)

# History of the inputs (issue 18 part 6): each import or restore of an input is a version. Its rows are kept once,
# as one compressed Arrow file (a 78,000-row population takes about 1 MB, not 7 MB as rows of JSON would), in a
# table of their own so that listing the versions never reads them; one pair of tables for every input, so a new
# input needs no migration of its own.
input_versions = sa.Table(
    "input_versions", metadata,
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # replace, merge, restore, or "before history" (rows held then)
    sa.Column("restored_from", sa.Integer, nullable=True),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text, nullable=True),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("removed", sa.Integer, nullable=False),
    sa.Column("changed", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("kind", "version", name="pk_input_versions"),
)

input_version_rows = sa.Table(
    "input_version_rows", metadata,
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),  # the version's rows: Arrow IPC, zstd-compressed
    sa.PrimaryKeyConstraint("kind", "version", name="pk_input_version_rows"),
)

# The audit trail (issue 14 part 5): append only (triggers refuse UPDATE and DELETE) and hash-chained, each entry's
# hash covering the one before it, so that a row edited, deleted or moved shows (store.audit.verify). A prev_hash
# may follow only one entry: two writers that read the same last entry cannot fork the chain.
audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),  # UTC, ISO 8601 to the microsecond
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("area", sa.Text, nullable=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("what", sa.Text, nullable=False),  # canonical JSON: file name, SHA-256, rows, scenario, format…
    sa.Column("source", sa.Text, nullable=False),  # "cli", or "web" and the client's address
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    sa.UniqueConstraint("prev_hash", name="uq_audit_prev_hash"),
)

# Roles per area on the shared server (issue 14 part 3, docs/decisions/0011): held in the server's own workspace.
# `user` is the sign-in name (e-mail or UPN) in lower case, so an admin can be named before first signing in.
user_roles = sa.Table(
    "user_roles", metadata,
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("area", sa.Text, nullable=False),  # a server area's code (a tenant), not a code of the areas input
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("granted_by", sa.Text, nullable=False),
    sa.Column("granted_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("user", "area", "role", name="pk_user_roles"),
)

# Sign-in sessions on the shared server (issue 14 part 2), in the server workspace only: the id itself is never
# kept, only its SHA-256, so a copy of the database cannot be used to take over a session
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id_hash", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, nullable=False),  # the sign-in name, lower case
    sa.Column("display", sa.Text, nullable=False),  # the person's name as the provider gives it
    sa.Column("area", sa.Text),  # the server area chosen, None until chosen
    sa.Column("started", sa.Float, nullable=False),  # seconds since 1970, UTC: the absolute time-out counts from it
    sa.Column("seen", sa.Float, nullable=False),  # the last request: the idle time-out counts from it
    sa.Column("source", sa.Text, nullable=False),  # where the sign-in came from
)

# Evidence briefs (issue 15 part 5): Markdown in the shape of seed 000, attached to a practice guide topic
evidence_briefs = sa.Table(
    "evidence_briefs", metadata,
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("markdown", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),  # of the file imported, as the import log keeps it
    sa.Column("imported_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("topic", name="pk_evidence_briefs"),
)
