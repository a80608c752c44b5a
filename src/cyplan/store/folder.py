"""The workspace folder and its SQLite file as far as they are known without SQLAlchemy: the files' names, the
errors opening one raises, its header's check, the migrations' heads, and reading the inputs of a workspace that
opening would leave as it is.

Why: SQLAlchemy alone was a quarter of `cyplan need`'s processor time (0.13 of about 0.55 s), spent to read 46
tables with SELECTs cyplan writes itself (issue 17 part 3). A workspace's own SQLite file that is up to date and has
no referral-return import to settle is read here with Python's sqlite3 (the driver SQLAlchemy uses for it), the same
SELECTs, rows and frames as Workspace.read; anything else (a database by URL, a missing, empty or damaged file, a
workspace to migrate, an import cut short) is opened by Workspace.open as ever, which says or does what it always
has. tests/test_cli_lazy.py holds `cyplan need` to not loading SQLAlchemy, tests/test_store.py the frames to
Workspace.read_all's and an out-of-date workspace to being brought up to date as before.
"""

from __future__ import annotations

import ast
import functools
import os
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import polars as pl

from cyplan.schema import KINDS

DB_FILE = "cyplan.db"
SQLITE_HEADER = b"SQLite format 3\0"  # the first 16 bytes of every SQLite database file
CONFIG_FILE = "workspace.json"  # only written when the database is not the folder's SQLite file
URL_ENV = "CYPLAN_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's record of the migrations a database has had: one row per branch


class WorkspaceError(Exception):
    """A workspace that cannot be created or opened; the message says why and what to do."""


class WorkspaceDamaged(WorkspaceError):
    """A workspace whose own files are damaged (a fault of the machine, not of what the user asked)."""


class ServerUnreachable(WorkspaceError):
    """A database server that does not answer (not running, no socket, a host that cannot be found): a fault
    of the machine or the network, like a full disk, not of the files the user gave."""


@functools.cache
def heads() -> set[str]:
    """The latest migration of every branch: each revision that no other revision follows (as Alembic's heads).
    Read from the scripts' revision lines, not by Alembic (a quarter of a second to import; tests/test_store.py
    holds the two to the same answer)."""
    revisions, followed = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        # the revision lines come before upgrade(): parsing only what comes before is a tenth of the time
        head = script.read_text().split("\ndef upgrade(", 1)[0]
        said = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(head).body
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in ("revision", "down_revision")}
        if "revision" in said:
            revisions.add(said["revision"])
            down = said.get("down_revision")
            followed.update([down] if isinstance(down, str) else down or ())
    return revisions - followed


def check_header(db: Path) -> None:
    """A non-empty file that does not start with SQLite's 16-byte header is damaged: SQLite itself takes a file
    shorter than its header (1 byte) for a new database and cyplan would fill it with empty tables, the
    workspace's data silently gone. (An empty file is told apart by the caller.)"""
    with open(db, "rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head and head != SQLITE_HEADER:
        raise WorkspaceDamaged(f"{db} is damaged: it is not a SQLite database (its first bytes are not SQLite's "
                               "header: it has been cut short or overwritten). cyplan has not changed "
                               "it. Restore the workspace folder from a backup (or, if you have none, make a new "
                               "workspace with 'cyplan init' and import your files again).")


def polars_type(t: str) -> type[pl.DataType]:
    return {"integer": pl.Int64, "number": pl.Float64, "share": pl.Float64}.get(t, pl.String)


def input_frame(kind: str, rows: Sequence[Sequence[object]]) -> pl.DataFrame:
    """An input's rows, as its table gives them (SELECT_ALL's columns), as a frame of the schema's types."""
    schema = {c.name: polars_type(c.type) for c in KINDS[kind].columns}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def read_at_rest(path: Path) -> dict[str, pl.DataFrame] | None:
    """Every input of the workspace in `path`, as Workspace.open(path).read_all() gives them, when the workspace is
    its folder's own SQLite file, up to date and with no referral-return import to settle: opening it would change
    nothing and say nothing. Else None, and nothing read or touched: the caller opens it (Workspace.open)."""
    db = path / DB_FILE
    if os.environ.get(URL_ENV) or (path / CONFIG_FILE).exists() or not _whole(db):
        return None
    try:  # mode=rw: a file gone since _whole looked is not made afresh, empty, as plain connect() would
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.OperationalError:
        return None
    with closing(conn):
        conn.execute("BEGIN")  # one snapshot of every input (a reader's transaction: nothing is written)
        if not _up_to_date(conn) or not _settled(path, conn):
            return None
        return {kind: input_frame(kind, conn.execute(select_all(kind)).fetchall()) for kind in KINDS}


def select_all(kind: str) -> str:
    """`SELECT every column FROM the input's table ORDER BY its order`, the table and its columns named as the schema
    names them (store/tables.py makes the tables from it), each quoted as standard SQL quotes a name (SQLite and
    PostgreSQL alike). Not sa.select: SQLAlchemy compiles each statement the first time a process runs it, and
    reading every input was 46 compilations, half its time at every command's start (issue 17 part 3)."""
    spec = KINDS[kind]

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'
    return (f"SELECT {', '.join(quoted(c.name) for c in spec.columns)} FROM {quoted(spec.name)} "
            f"ORDER BY {', '.join(quoted(k) for k in spec.order_by)}")


def _whole(db: Path) -> bool:
    """A non-empty file that starts with SQLite's header (anything else Workspace.open explains)."""
    try:
        with open(db, "rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _up_to_date(conn: sqlite3.Connection) -> bool:
    """Whether the database has had every migration (else opening it migrates it)."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)).fetchone()
    return found is not None and {r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")} == heads()


def _settled(path: Path, conn: sqlite3.Connection) -> bool:
    """Whether opening the workspace would find no referral-return import to finish or undo (returns/recover.py's
    settle): no records folder, or one whose manifest names every file in it and whose imports the log lists."""
    from cyplan.returns import store

    if not store.folder(path).is_dir():
        return True
    try:
        return store.at_rest(path, lambda: {r[0] for r in conn.execute("SELECT id FROM returns_imports")})
    except sqlite3.Error:  # settle says nothing of it either (it goes on), and the full open reads what it can
        return False
