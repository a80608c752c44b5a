"""The referral records, kept in a DuckDB file in the workspace folder (returns.duckdb).

DuckDB rather than the workspace database because a million records are written and scanned in well
under a second there (DESIGN: DuckDB for record-level data); the import log lives in the workspace
database (store/returns_tables.py). An import replaces the stored records of the same service and
quarter in one DuckDB transaction, committed inside the workspace database's transaction that logs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from cyplan.returns import fields as F

FILE = "returns.duckdb"
RECORD_COLUMNS = (F.ID, F.DATE, F.ACCEPTED, F.AGE, *F.CATEGORICAL, *F.MILESTONES)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {{db}}.imports (import_id INTEGER PRIMARY KEY, file VARCHAR, sheet VARCHAR,
    sha256 VARCHAR, imported_at VARCHAR);
CREATE TABLE IF NOT EXISTS {{db}}.referrals (import_id INTEGER NOT NULL, row INTEGER NOT NULL,
    {F.ID} VARCHAR NOT NULL, {F.DATE} DATE NOT NULL, {F.ACCEPTED} BOOLEAN NOT NULL, {F.AGE} VARCHAR,
    {", ".join(f"{c} VARCHAR" for c in (*F.CATEGORICAL, *F.MILESTONES))});
"""


def path(workspace: Path) -> Path:
    return workspace / FILE


def exists(workspace: Path) -> bool:
    return path(workspace).exists()


def replace(con: duckdb.DuckDBPyConnection, workspace: Path, source: str, import_id: int,
            log: tuple[str, str | None, str, str], periods: Sequence[tuple[str | None, dt.date, dt.date]]) -> int:
    """In one DuckDB transaction: delete stored records of these (service, first day, last day) periods and
    insert those of `source` (a classified view with row numbers: categories stored under their code-list
    names). Returns how many stored records were replaced."""
    con.execute("ATTACH ? AS store", [str(path(workspace))])
    try:
        con.execute("BEGIN")
        con.execute(SCHEMA.format(db="store"))
        replaced = 0
        if periods:
            values = ", ".join("(?, ?::DATE, ?::DATE)" for _ in periods)
            params = [v for p in periods for v in (p[0], p[1].isoformat(), p[2].isoformat())]
            replaced = con.execute(f"""DELETE FROM store.referrals r USING (VALUES {values}) p(service, first, last)
                WHERE r.service IS NOT DISTINCT FROM p.service AND r.{F.DATE} BETWEEN p.first AND p.last""",
                                   params).fetchone()[0]  # type: ignore[index]
        con.execute("INSERT INTO store.imports VALUES (?, ?, ?, ?, ?)", [import_id, *log])
        stored = [f"{c}_label" if c in F.CATEGORICAL else c for c in RECORD_COLUMNS]
        con.execute(f"INSERT INTO store.referrals SELECT {import_id}, row, {', '.join(stored)} FROM {source}")
        con.execute("DELETE FROM store.imports WHERE import_id NOT IN (SELECT DISTINCT import_id FROM store.referrals)")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DETACH store")
    return replaced


def open_store(workspace: Path) -> duckdb.DuckDBPyConnection:
    """The stored records, read-only, with a view `records` adding file, sheet and row for the quality report."""
    con = duckdb.connect(str(path(workspace)), read_only=True)
    con.execute("CREATE TEMP VIEW records AS SELECT i.file, i.sheet, r.* FROM referrals r JOIN imports i "
                "USING (import_id)")
    return con


def coded(con: duckdb.DuckDBPyConnection, source: str) -> pl.DataFrame:
    """The records as the model takes them: date, accepted, age (null if blank or invalid), each category's
    code (0 blank, -1 invalid, k the k-th category) and each milestone's (1 yes, 2 no, 0 blank, -1 invalid).
    `source` is a classified view (see classify)."""
    age = f"try_cast({F.AGE} AS INTEGER)"
    parts = [F.DATE, F.ACCEPTED,
             f"CASE WHEN {age} BETWEEN {F.MIN_AGE} AND {F.MAX_AGE} THEN {age} ELSE -1 END::SMALLINT AS {F.AGE}",
             *(f"{c}_code AS {c}" for c in F.CATEGORICAL),
             *(f"(CASE WHEN {m} IS NULL THEN 0 WHEN {m} = 'yes' THEN 1 WHEN {m} = 'no' THEN 2 ELSE -1 END)::TINYINT "
               f"AS {m}" for m in F.MILESTONES)]
    data = con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchnumpy()
    frame = pl.DataFrame({k: np.asarray(v) for k, v in data.items()})
    return frame.with_columns(pl.col(F.DATE).cast(pl.Date), pl.col(F.AGE).replace(-1, None))
